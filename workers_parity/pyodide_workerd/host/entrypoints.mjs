// What the host module exports to workerd, built from the Python main module as workerd's own Python builds it:
// the `Default` WorkerEntrypoint (or, in the legacy style, top-level `on_fetch`-like functions) as the default
// export, and every DurableObject, WorkerEntrypoint and WorkflowEntrypoint class under its own name. Each JavaScript
// class creates an instance of the Python class and forwards every method call to it.
import { DurableObject, WorkerEntrypoint, WorkflowEntrypoint } from "cloudflare:workers";

const BASE_CLASSES = {
  durableObjects: DurableObject,
  workerEntrypoints: WorkerEntrypoint,
  workflowEntrypoints: WorkflowEntrypoint,
};
// The handlers workerd calls with its own objects (all but fetch get them as they are); before
// python_no_global_handlers their Python names take an `on_` prefix, as do a Durable Object's.
const HANDLERS = ["fetch", "alarm", "scheduled", "trace", "queue", "pubsub"];
const DURABLE_OBJECT_HANDLERS = ["alarm", "webSocketMessage", "webSocketClose", "webSocketError"];
// Requests that run another handler of the default export: `--test-scheduled`, as wrangler dev's (GET
// /__scheduled?cron=…), and `--test-handler`, workerd's `test` handler as `workerd test` runs it.
const SCHEDULED_ROUTES = ["/__scheduled", "/cdn-cgi/handler/scheduled"];
const TEST_ROUTE = "/__test";

// `python` is the host's Python side (host.mjs pythonSide), `classes` its introspection of the main module.
export function buildExports({ python, classes, legacyHandlers, failure, routes }) {
  const named = {};
  for (const [kind, base] of Object.entries(BASE_CLASSES)) {
    for (const { className, methodNames } of classes[kind]) {
      const routed = className === "Default" ? routes : {};
      named[className] = entrypointClass(python, className, base, methodNames, { legacyHandlers, routes: routed });
    }
  }
  let defaultExport = named.Default;
  delete named.Default;
  if (failure) defaultExport = failedStart(failure);
  defaultExport ??= legacyHandlers ? legacyDefault(python, routes) : {};
  return { defaultExport, named };
}

// The handlers a request may run instead of fetch, by path: { "/__scheduled": "scheduled", … }.
export function handlerRoutes({ testScheduled, testHandler }) {
  const routes = {};
  if (testScheduled) for (const path of SCHEDULED_ROUTES) routes[path] = "scheduled";
  if (testHandler) routes[TEST_ROUTE] = "test";
  return routes;
}

function entrypointClass(python, className, base, methodNames, { legacyHandlers, routes }) {
  const kind = base === DurableObject ? "durableObject" : base === WorkflowEntrypoint ? "workflow" : "worker";
  const wrapper = class extends base {
    constructor(...args) {
      super(...args);
      const instance = python.instantiate(className, args);
      const call = (property) => forwarded(python, instance, property, { kind, legacyHandlers });
      return new Proxy(this, {
        get(target, property, receiver) {
          if (typeof property !== "string") return Reflect.get(target, property, receiver);
          if (property !== "fetch" || Object.keys(routes).length === 0) return call(property);
          return (request) => routed(request, routes, (name, ...args) => call(name)(...args), target.env, target.ctx);
        },
      });
    }
  };
  Object.defineProperty(wrapper, "name", { value: className });
  // workerd and miniflare look for handler methods on the prototype; calls go through the proxy above.
  for (const method of methodNames) wrapper.prototype[jsName(method, legacyHandlers)] = function () {};
  if (Object.keys(routes).length > 0) wrapper.prototype.fetch ??= function () {};
  return wrapper;
}

function forwarded(python, instance, property, { kind, legacyHandlers }) {
  const isHandler =
    HANDLERS.includes(property) || (kind === "durableObject" && DURABLE_OBJECT_HANDLERS.includes(property));
  const method = legacyHandlers && isHandler ? `on_${property}` : property;
  const raw = (isHandler && property !== "fetch") || (kind === "workflow" && property === "run");
  const call = async (...args) => {
    const pythonInstance = await instance;
    if (!python.hasMethod(pythonInstance, method)) throw new TypeError(`Method ${method} does not exist`);
    if (raw) return python.callRaw(pythonInstance, method, args);
    const relaxed = property === "fetch" || property === "test";
    return python.callConverted(pythonInstance, method, args, { relaxed });
  };
  return property === "fetch" ? answeringErrors(call) : call;
}

function jsName(method, legacyHandlers) {
  return legacyHandlers && method.startsWith("on_") && HANDLERS.includes(method.slice(3)) ? method.slice(3) : method;
}

// Without a `Default` class, while the compatibility settings still allow them: the module's top-level
// `on_fetch`, `on_scheduled`, … functions (and `test`), called with workerd's own arguments.
function legacyDefault(python, routes) {
  const handlers = {};
  for (const [name, pythonName] of [...HANDLERS.map((name) => [name, `on_${name}`]), ["test", "test"]]) {
    if (python.hasHandler(pythonName)) handlers[name] = (...args) => python.callHandler(pythonName, args);
  }
  const fetch = handlers.fetch && answeringErrors(handlers.fetch);
  if (fetch) handlers.fetch = fetch;
  if (Object.keys(routes).length) {
    const call = (name, ...args) => (handlers[name] ? handlers[name](...args) : missingHandler(name));
    handlers.fetch = (request, env, ctx) =>
      routed(request, routes, call, env, ctx, fetch ?? (() => missingHandler("fetch")));
  }
  return handlers;
}

// A request on one of the routes runs that handler; any other is the worker's fetch.
async function routed(request, routes, call, env, ctx, fetch = (request) => call("fetch", request)) {
  const url = new URL(request.url);
  const handler = routes[url.pathname];
  if (!handler) return fetch(request, env, ctx);
  try {
    if (handler === "scheduled") {
      const controller = { cron: url.searchParams.get("cron") ?? "", scheduledTime: Date.now(), noRetry() {} };
      await call("scheduled", controller, env, ctx);
      return new Response("Ran scheduled event");
    }
    await call(handler, {}, env, ctx);
    return new Response(`${handler} handler passed`);
  } catch (error) {
    console.error(describe(error));
    return new Response(`${handler} handler failed:\n${describe(error)}`, { status: 500 });
  }
}

function missingHandler(name) {
  throw new TypeError(`The worker has no ${name} handler`);
}

// An exception the worker's fetch did not handle: its traceback goes to the log, the client gets a plain 500 (not
// the stack trace that miniflare's development error page would show).
function answeringErrors(fetch) {
  return async (...args) => {
    try {
      return await fetch(...args);
    } catch (error) {
      console.error(describe(error));
      return internalServerError();
    }
  };
}

function describe(error) {
  return error?.constructor?.name === "PythonError" ? error.message : (error?.stack ?? String(error));
}

function internalServerError() {
  return new Response("Internal Server Error", {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

// The main module could not be imported: every request is a plain 500; the traceback was logged at start-up.
function failedStart() {
  return {
    async fetch() {
      console.error("[pyodide-workerd] the worker failed to start (traceback above); save a file to reload");
      return internalServerError();
    },
  };
}
