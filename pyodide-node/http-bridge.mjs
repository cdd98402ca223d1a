// Node's HTTP server on one side, WHATWG Request/Response (what a worker sees) on the other.
import http from "node:http";
import { once } from "node:events";
import { Readable } from "node:stream";
import { StartupError } from "./config.mjs";

const BODYLESS_METHODS = new Set(["GET", "HEAD"]);

export async function listen(server, port, ip) {
  server.listen(port, ip);
  try {
    await once(server, "listening");
  } catch (error) {
    if (error.code === "EADDRINUSE") throw new StartupError(`port ${port} is already in use`);
    throw new StartupError(`cannot listen on ${ip}:${port}: ${error.message}`);
  }
}

// The URL keeps the raw request target: "//hello" and "/%68ello" must reach the worker unchanged.
export function toWebRequest(req, fallbackHost) {
  const url = /^https?:\/\//i.test(req.url) ? req.url : `http://${req.headers.host ?? fallbackHost}${req.url}`;
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const init = { method: req.method, headers };
  if (!BODYLESS_METHODS.has(req.method) && hasBody(req)) {
    init.body = Readable.toWeb(req);
    init.duplex = "half";
  }
  return new Request(url, init);
}

function hasBody(req) {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

export async function writeWebResponse(res, response, isHead) {
  const headers = rawHeaders(response.headers);
  const reader = response.body?.getReader();
  const start = reader ? await readAvailable(reader) : { complete: true, chunks: [] };
  if (start.complete) {
    const body = Buffer.concat(start.chunks);
    if (mayHaveBody(response.status) && !response.headers.has("content-length"))
      headers.push("content-length", String(body.length));
    res.writeHead(response.status, response.statusText || undefined, headers);
    res.end(isHead ? undefined : body);
    return;
  }
  res.writeHead(response.status, response.statusText || undefined, headers);
  if (isHead) {
    cancelBody(reader, "the response to a HEAD request has no body");
    res.end();
    return;
  }
  await pipeBody(reader, res, start);
}

function mayHaveBody(status) {
  return status >= 200 && status !== 204 && status !== 304;
}

function rawHeaders(headers) {
  const flat = [];
  for (const [name, value] of headers) if (name !== "set-cookie") flat.push(name, value);
  for (const cookie of headers.getSetCookie()) flat.push("set-cookie", cookie);
  return flat;
}

// A fixed body (string, bytes) is complete within a tick, so it can go out with a Content-Length
// as workerd sends it; a streamed body is passed on as it comes, its first bytes not held back.
async function readAvailable(reader) {
  const chunks = [];
  for (;;) {
    const nextRead = reader.read();
    const result = await Promise.race([nextRead, nextMacrotask()]);
    if (result === undefined) return { complete: false, chunks, nextRead };
    if (result.done) return { complete: true, chunks };
    chunks.push(result.value);
  }
}

// With a reason: Python code writing to the stream gets a real exception, not `undefined`.
function cancelBody(reader, reason) {
  reader.cancel(new Error(reason)).catch(() => {});
}

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

async function pipeBody(reader, res, { chunks, nextRead }) {
  res.once("close", () => res.writableFinished || cancelBody(reader, "the client disconnected"));
  for (const chunk of chunks) if (!res.write(chunk)) await drainedOrClosed(res);
  for (let read = nextRead; ; read = reader.read()) {
    const { done, value } = await read;
    if (done || res.destroyed) break;
    if (!res.write(value)) await drainedOrClosed(res);
  }
  res.end();
}

function drainedOrClosed(res) {
  return new Promise((resolve) => {
    const settle = () => {
      res.off("drain", settle);
      res.off("close", settle);
      resolve();
    };
    res.on("drain", settle);
    res.on("close", settle);
  });
}

export function writeInternalError(res) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
  res.end("Internal Server Error");
}

export function statusLine(status) {
  return `${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd();
}
