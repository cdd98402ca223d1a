"""Every binding and handler a Python worker can use offline, one route each; state lives in the bindings."""

import json
from urllib.parse import urlparse

from workers import Response, WorkerEntrypoint


class Calculator(WorkerEntrypoint):
    """A named entrypoint, reached over the SELF service binding (RPC)."""

    async def add(self, a, b):
        return a + b

    async def describe(self, payload):
        return {"keys": sorted(payload), "size": len(payload)}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlparse(request.url).path
        route = ROUTES.get(path)
        if route is None:
            return Response("no such route", status=404)
        return await route(self, request)

    async def vars(self, request):
        return Response.json({"greeting": self.env.GREETING, "secret": self.env.API_TOKEN})

    async def kv(self, request):
        await self.env.NOTES.put("note", "kept in KV")
        return Response(await self.env.NOTES.get("note"))

    async def d1(self, request):
        await self.env.LEDGER.prepare("INSERT INTO entries (note) VALUES (?)").bind("written").run()
        row = await self.env.LEDGER.prepare("SELECT count(*) AS n FROM entries").first()
        return Response.json({"entries": row.n})

    async def r2(self, request):
        await self.env.FILES.put("hello.txt", "kept in R2")
        stored = await self.env.FILES.get("hello.txt")
        return Response(await stored.text())

    async def enqueue(self, request):
        await self.env.JOBS.send(json.dumps({"job": "count"}))
        return Response("queued")

    async def rpc(self, request):
        total = await self.env.SELF.add(2, 3)
        described = await self.env.SELF.describe({"b": 1, "a": 2})
        return Response.json({"total": total, "described": described})

    async def counts(self, request):
        return Response.json(await self._counts())

    async def queue(self, batch):
        for message in batch.messages:
            await self._count("queue")
            message.ack()

    async def scheduled(self, controller, env, ctx):
        await self._count(f"scheduled {controller.cron}")

    async def _count(self, what):
        counts = await self._counts()
        counts[what] = counts.get(what, 0) + 1
        await self.env.NOTES.put("handled", json.dumps(counts))

    async def _counts(self):
        stored = await self.env.NOTES.get("handled")
        return json.loads(stored) if stored else {}


ROUTES = {
    "/vars": Default.vars,
    "/kv": Default.kv,
    "/d1": Default.d1,
    "/r2": Default.r2,
    "/enqueue": Default.enqueue,
    "/rpc": Default.rpc,
    "/counts": Default.counts,
}
