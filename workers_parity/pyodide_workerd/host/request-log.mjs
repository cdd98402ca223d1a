// One line per HTTP request, as `wrangler dev` prints them (`[name:info] GET /hello 200 OK (3ms)`), written by
// workerd itself. miniflare's own request log posts every line to the launcher's loopback server, and even a
// console.log per request costs the launcher (Node parses workerd's structured log) more CPU than a small request
// costs workerd; so the lines are gathered and written at most every FLUSH_MS, by the request that began a batch.
// (Lines of the last FLUSH_MS before workerd is stopped are lost.)
const FLUSH_MS = 50;

let lines = [];
let flushScheduled = false;

// `answer()` produces the response; `ctx` keeps the request alive until its batch is written.
export async function logRequest(name, request, ctx, answer) {
  const started = Date.now();
  let status = 500;
  try {
    const response = await answer();
    status = response.status;
    return response;
  } finally {
    const path = new URL(request.url).pathname;
    lines.push(
      `[${name}:info] ${request.method} ${path} ${status} ${STATUS_TEXT[status] ?? ""} (${Date.now() - started}ms)`,
    );
    scheduleFlush(ctx);
  }
}

function scheduleFlush(ctx) {
  if (flushScheduled) return;
  flushScheduled = true;
  const written = new Promise((resolve) => setTimeout(resolve, FLUSH_MS)).then(flush);
  if (typeof ctx?.waitUntil === "function") ctx.waitUntil(written);
}

function flush() {
  flushScheduled = false;
  const text = lines.join("\n");
  lines = [];
  if (text) console.log(text);
}

// A module worker's default export with its `fetch` logged: an object's fetch, or a WorkerEntrypoint class's.
export function withRequestLog(name, handler) {
  if (typeof handler === "function" && typeof handler.prototype?.fetch === "function") {
    return class extends handler {
      fetch(request) {
        return logRequest(name, request, this.ctx, () => super.fetch(request));
      }
    };
  }
  if (handler && typeof handler === "object" && typeof handler.fetch === "function") {
    const fetch = (request, env, ctx) => logRequest(name, request, ctx, () => handler.fetch(request, env, ctx));
    return { ...handler, fetch };
  }
  return handler;
}

// The reason phrases of RFC 9110 and its registry, as Node's http.STATUS_CODES (which miniflare's log prints).
const STATUS_TEXT = {
  100: "Continue",
  101: "Switching Protocols",
  102: "Processing",
  103: "Early Hints",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  207: "Multi-Status",
  208: "Already Reported",
  226: "IM Used",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  305: "Use Proxy",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Payload Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  418: "I'm a Teapot",
  421: "Misdirected Request",
  422: "Unprocessable Entity",
  423: "Locked",
  424: "Failed Dependency",
  425: "Too Early",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  506: "Variant Also Negotiates",
  507: "Insufficient Storage",
  508: "Loop Detected",
  509: "Bandwidth Limit Exceeded",
  510: "Not Extended",
  511: "Network Authentication Required",
};
