"""The notes API: a small JSON API over D1 (notes) and KV (preferences). ../js answers the same, byte for byte.

GET    /                service name and API version (a var)
GET    /notes           every note, oldest first
POST   /notes           {"text": "..."}: a new note (201)
GET    /notes/ID        one note
DELETE /notes/ID        remove it (204)
GET    /prefs/KEY       a preference (KV)
PUT    /prefs/KEY       set it to the request body
"""

import json
import re
from urllib.parse import urlsplit

from workers import Response, WorkerEntrypoint

MAX_TEXT = 280  # code points: len() counts them, as JavaScript's [...text].length does
NOTE = re.compile(r"/notes/([1-9][0-9]{0,8})")
PREF = re.compile(r"/prefs/([a-z0-9_-]{1,64})")


def reply(status, value, headers=None):
    # JSON.stringify's form: no spaces, non-ASCII as it is
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status=status, headers={"content-type": "application/json", **(headers or {})})


def not_found():
    return reply(404, {"error": "not found"})


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")  # Python reads NaN and Infinity; JSON.parse does not


def text_problem(document):
    if not isinstance(document, dict):
        return "the body must be a JSON object"
    text = document.get("text")
    if not isinstance(text, str) or text == "":
        return "text is required"
    if len(text) > MAX_TEXT:
        return f"text is longer than {MAX_TEXT} characters"
    return None


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        method = request.js_object.method  # the method as sent (the SDK's enum knows only the common ones)
        path = urlsplit(request.url).path
        found = self.route(path)
        if found is None:
            return not_found()
        methods, handle = found
        if method not in methods:
            return reply(405, {"error": "method not allowed"}, {"allow": ", ".join(methods)})
        return await handle(request, method)

    def route(self, path):
        if path == "/":
            return ["GET"], self.service
        if path == "/notes":
            return ["GET", "POST"], self.notes
        if note := NOTE.fullmatch(path):
            return ["GET", "DELETE"], lambda request, method: self.one_note(method, int(note[1]))
        if pref := PREF.fullmatch(path):
            return ["GET", "PUT"], lambda request, method: self.preference(request, method, pref[1])
        return None

    async def service(self, request, method):
        return reply(200, {"service": "notes", "version": self.env.API_VERSION})

    async def notes(self, request, method):
        if method == "POST":
            return await self.create_note(request)
        found = await self.env.NOTES_DB.prepare("SELECT id, text FROM notes ORDER BY id").all()
        return reply(200, {"notes": found["results"]})

    async def create_note(self, request):
        try:
            document = json.loads(await request.text(), parse_constant=reject_constant)
        except ValueError:
            return reply(400, {"error": "the body is not JSON"})
        problem = text_problem(document)
        if problem:
            return reply(400, {"error": problem})
        statement = self.env.NOTES_DB.prepare("INSERT INTO notes (text) VALUES (?) RETURNING id, text")
        row = await statement.bind(document["text"]).first()
        return reply(201, row, {"location": f"/notes/{row['id']}"})

    async def one_note(self, method, note_id):
        if method == "DELETE":
            done = await self.env.NOTES_DB.prepare("DELETE FROM notes WHERE id = ?").bind(note_id).run()
            return Response(None, status=204) if done["meta"]["changes"] else not_found()
        row = await self.env.NOTES_DB.prepare("SELECT id, text FROM notes WHERE id = ?").bind(note_id).first()
        return reply(200, row) if row else not_found()

    async def preference(self, request, method, key):
        if method == "PUT":
            value = await request.text()
            await self.env.PREFS.put(key, value)
            return reply(200, {"key": key, "value": value})
        value = await self.env.PREFS.get(key)
        return not_found() if value is None else reply(200, {"key": key, "value": value})
