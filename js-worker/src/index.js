// js-worker: the web app of shared-tests/CONTRACT.md as a plain module worker.
// Rule ids (C1…C16) in the comments refer to that document.

const WORKER_NAME = "js-worker";
const MAX_BODY_BYTES = 65536;
const MAX_NAME_CODE_POINTS = 100;
const MAX_MESSAGE_CODE_POINTS = 1000;

const TEXT = "text/plain; charset=utf-8";
const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json";

const URLENCODED = "application/x-www-form-urlencoded";
const MULTIPART = "multipart/form-data";

const COUNTER_SQL =
  "INSERT INTO page_views (page, count) VALUES ('counter', 1) " +
  "ON CONFLICT (page) DO UPDATE SET count = count + 1 RETURNING count";

const routes = new Map([
  ["/", { GET: hello }],
  ["/hello", { GET: hello }],
  ["/form", { GET: showForm, POST: submitForm }],
  ["/counter", { GET: countVisit, HEAD: counterHeaders }],
  ["/status", { GET: status }],
]);

export default {
  async fetch(request, env) {
    let response;
    try {
      response = await dispatch(request, env);
    } catch (error) {
      console.error("Unhandled error:", error);
      response = text(500, "Internal Server Error"); // C13
    }
    return request.method === "HEAD" ? new Response(null, response) : response; // C10
  },
};

// C11, C12: the path alone picks the route (never the query string), then the method.
async function dispatch(request, env) {
  const methods = routes.get(new URL(request.url).pathname);
  if (!methods) return text(404, "Not Found");
  const handler = handlerFor(methods, request.method);
  if (!handler) return text(405, "Method Not Allowed", { allow: allowedMethods(methods) });
  return handler(request, env);
}

function handlerFor(methods, method) {
  if (Object.hasOwn(methods, method)) return methods[method];
  return method === "HEAD" ? methods.GET : undefined;
}

function allowedMethods(methods) {
  return [...new Set(["GET", "HEAD", ...Object.keys(methods)])].join(", ");
}

// C2
function hello() {
  return text(200, "Hello World from Cloudflare Workers!");
}

// C3
function showForm() {
  return html(200, formPage({ name: "", message: "" }));
}

// C4-C7, in the order of the steps listed under C4 in CONTRACT.md.
async function submitForm(request) {
  const body = await readBodyWithin(request, MAX_BODY_BYTES);
  if (body === null) return text(413, "Payload Too Large");

  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = mediaTypeOf(contentType);
  if (mediaType !== URLENCODED && mediaType !== MULTIPART) return text(415, "Unsupported Media Type");

  const fields = mediaType === URLENCODED ? urlencodedFields(body) : await multipartFields(body, contentType);
  if (!fields) return html(400, formPage({ name: "", message: "" }, "Malformed form data."));

  const name = trimAsciiWhitespace(fields.name);
  const message = trimAsciiWhitespace(fields.message);
  const error = validationError(name, message);
  if (error) return html(400, formPage({ name, message }, error));
  return html(200, thanksPage(name, message));
}

// "Multipart/Form-Data; boundary=x" -> "multipart/form-data"
function mediaTypeOf(contentType) {
  return trimAsciiWhitespace(contentType.split(";")[0]).toLowerCase();
}

// The body's bytes, or null when it exceeds the limit (declared in Content-Length or counted as it arrives).
async function readBodyWithin(request, limit) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return null;
  if (!request.body) return new Uint8Array(0);
  const chunks = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return concatBytes(chunks, size);
}

function concatBytes(chunks, size) {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

// Not formData(): workerd's urlencoded parser turns a stray "%zz" into "zz" and rejects charset
// parameters, while URLSearchParams follows the URL Standard. ignoreBOM keeps a leading U+FEFF.
function urlencodedFields(body) {
  const params = new URLSearchParams(new TextDecoder("utf-8", { ignoreBOM: true }).decode(body));
  return { name: params.get("name") ?? "", message: params.get("message") ?? "" };
}

// null when the multipart body cannot be parsed (workerd throws a TypeError).
async function multipartFields(body, contentType) {
  let form;
  try {
    form = await new Response(body, { headers: { "content-type": contentType } }).formData();
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
  return { name: firstText(form, "name"), message: firstText(form, "message") };
}

// File parts are ignored, so the first text value wins.
function firstText(form, field) {
  return form.getAll(field).find((value) => typeof value === "string") ?? "";
}

function trimAsciiWhitespace(value) {
  return value.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, "");
}

function codePoints(value) {
  return [...value].length;
}

function validationError(name, message) {
  if (name === "") return "Name is required.";
  if (codePoints(name) > MAX_NAME_CODE_POINTS) return "Name must be at most 100 characters.";
  if (codePoints(message) > MAX_MESSAGE_CODE_POINTS) return "Message must be at most 1000 characters.";
  return null;
}

// C8
async function countVisit(request, env) {
  const { count } = await env.DB.prepare(COUNTER_SQL).first();
  return html(200, counterPage(count), { "cache-control": "no-store" });
}

// C10: HEAD /counter answers with GET's status and headers without touching the database.
function counterHeaders() {
  return html(200, "", { "cache-control": "no-store" });
}

// C9
async function status(request, env) {
  const report = {
    worker: WORKER_NAME,
    language: "javascript",
    runtime: navigator.userAgent,
    python_version: null,
    d1: await databaseAnswers(env.DB),
  };
  return respond(200, JSON.stringify(report), JSON_TYPE);
}

async function databaseAnswers(db) {
  try {
    await db.prepare("SELECT 1").first();
    return true;
  } catch {
    return false;
  }
}

// Every response goes through here, so every response names the worker (C1).
function respond(status, body, contentType, headers = {}) {
  return new Response(body, {
    status,
    headers: { "content-type": contentType, ...headers, "x-worker": WORKER_NAME },
  });
}

function text(status, body, headers) {
  return respond(status, body, TEXT, headers);
}

function html(status, body, headers) {
  return respond(status, body, HTML, headers);
}

// HTML templates: byte for byte as in CONTRACT.md ("Pages").
function layout(title, content) {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body>
${content}</body>
</html>
`;
}

function formPage({ name, message }, error = null) {
  const errorLine = error ? `<p class="error">${error}</p>\n` : "";
  return layout(
    "Contact form",
    `<h1>Contact form</h1>
${errorLine}<form method="post" action="/form">
<p><label for="name">Name</label>
<input type="text" id="name" name="name" required maxlength="100" value="${escapeHtml(name)}"></p>
<p><label for="message">Message</label>
<textarea id="message" name="message" maxlength="1000">${escapeHtml(message)}</textarea></p>
<p><button type="submit">Send</button></p>
</form>
`,
  );
}

function thanksPage(name, message) {
  return layout(
    "Thanks",
    `<h1>Thanks, ${escapeHtml(name)}!</h1>
<p class="message">${escapeHtml(message)}</p>
<p><a href="/form">Send another message</a></p>
`,
  );
}

function counterPage(count) {
  return layout(
    "Counter",
    `<h1>Counter</h1>
<p>Page views: <span id="count">${count}</span></p>
`,
  );
}

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };

function escapeHtml(value) {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}
