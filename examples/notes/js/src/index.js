// The notes API: a small JSON API over D1 (notes) and KV (preferences). ../py answers the same, byte for byte.
//
//   GET    /                service name and API version (a var)
//   GET    /notes           every note, oldest first
//   POST   /notes           {"text": "..."}: a new note (201)
//   GET    /notes/ID        one note
//   DELETE /notes/ID        remove it (204)
//   GET    /prefs/KEY       a preference (KV)
//   PUT    /prefs/KEY       set it to the request body

const MAX_TEXT = 280; // code points, as Python counts them: "😀".length is 2 in JavaScript

function json(status, value, headers = {}) {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

const notFound = () => json(404, { error: "not found" });

async function listNotes(env) {
  const { results } = await env.NOTES_DB.prepare("SELECT id, text FROM notes ORDER BY id").all();
  return json(200, { notes: results });
}

function textProblem(document) {
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    return "the body must be a JSON object";
  }
  if (typeof document.text !== "string" || document.text === "") return "text is required";
  if ([...document.text].length > MAX_TEXT) return `text is longer than ${MAX_TEXT} characters`;
  return null;
}

async function createNote(request, env) {
  let document;
  try {
    document = JSON.parse(await request.text());
  } catch {
    return json(400, { error: "the body is not JSON" });
  }
  const problem = textProblem(document);
  if (problem) return json(400, { error: problem });
  const row = await env.NOTES_DB.prepare("INSERT INTO notes (text) VALUES (?) RETURNING id, text")
    .bind(document.text)
    .first();
  return json(201, row, { location: `/notes/${row.id}` });
}

async function oneNote(request, env, id) {
  if (request.method === "DELETE") {
    const { meta } = await env.NOTES_DB.prepare("DELETE FROM notes WHERE id = ?").bind(id).run();
    return meta.changes ? new Response(null, { status: 204 }) : notFound();
  }
  const row = await env.NOTES_DB.prepare("SELECT id, text FROM notes WHERE id = ?").bind(id).first();
  return row ? json(200, row) : notFound();
}

async function preference(request, env, key) {
  if (request.method === "PUT") {
    const value = await request.text();
    await env.PREFS.put(key, value);
    return json(200, { key, value });
  }
  const value = await env.PREFS.get(key);
  return value === null ? notFound() : json(200, { key, value });
}

function route(path) {
  if (path === "/") return { methods: ["GET"], handle: (request, env) => json(200, service(env)) };
  if (path === "/notes") {
    return {
      methods: ["GET", "POST"],
      handle: (r, env) => (r.method === "POST" ? createNote(r, env) : listNotes(env)),
    };
  }
  const note = path.match(/^\/notes\/([1-9][0-9]{0,8})$/);
  if (note) return { methods: ["GET", "DELETE"], handle: (r, env) => oneNote(r, env, Number(note[1])) };
  const pref = path.match(/^\/prefs\/([a-z0-9_-]{1,64})$/);
  if (pref) return { methods: ["GET", "PUT"], handle: (r, env) => preference(r, env, pref[1]) };
  return null;
}

function service(env) {
  return { service: "notes", version: env.API_VERSION };
}

export default {
  async fetch(request, env) {
    const found = route(new URL(request.url).pathname);
    if (!found) return notFound();
    if (!found.methods.includes(request.method)) {
      return json(405, { error: "method not allowed" }, { allow: found.methods.join(", ") });
    }
    return found.handle(request, env);
  },
};
