// What the host module exports to workerd, built from the Python main module as workerd's own Python builds it:
// the `Default` WorkerEntrypoint (or, in the legacy style, top-level `on_fetch`-like functions) as the default
// export, and every DurableObject, WorkerEntrypoint and WorkflowEntrypoint class under its own name. Each JavaScript
// class creates an instance of the Python class and forwards every method call to it.
import { DurableObject, WorkerEntrypoint, WorkflowEntrypoint } from "cloudflare:workers";
import { logRequest, withRequestLog } from "./request-log.mjs";
import { FINALIZATION_REGISTRY_IS_REAL } from "./startup.mjs";

const BASE_CLASSES = {
  durableObjects: DurableObject,
  workerEntrypoints: WorkerEntrypoint,
  workflowEntrypoints: WorkflowEntrypoint,
};
// The handlers workerd calls with its own objects (all but fetch get them as they are); before
// python_no_global_handlers their Python names take an `on_` prefix, as do a Durable Object's.
const HANDLERS = ["fetch", "alarm", "scheduled", "trace", "queue", "pubsub"];
const DURABLE_OBJECT_HANDLERS = ["alarm", "webSocketMessage", "webSocketClose", "webSocketError"];
// The name request log lines carry (`[pyodide-workerd:info] GET /hello 200 OK (3ms)`).
const LOG_NAME = "pyodide-workerd";
// Requests that run another handler of the default export: `--test-scheduled`, as wrangler dev's (GET
// /__scheduled?cron=…), and `--test-handler`, workerd's `test` handler as `workerd test` runs it.
const SCHEDULED_ROUTES = ["/__scheduled", "/cdn-cgi/handler/scheduled"];
const TEST_ROUTE = "/__test";

// `python` is the host's Python side (host.mjs pythonSide), `classes` its introspection of the main module.
export function buildExports({ python, classes, legacyHandlers, failure, routes = {}, requestLog = true }) {
  const named = {};
  for (const [kind, base] of Object.entries(BASE_CLASSES)) {
    for (const { className, methodNames } of classes[kind]) {
      const isDefault = className === "Default"; // what answers HTTP requests: they are logged
      const options = { legacyHandlers, routes: isDefault ? routes : {}, logged: isDefault && requestLog };
      named[className] = entrypointClass(python, className, base, methodNames, options);
    }
  }
  let defaultExport = named.Default;
  delete named.Default;
  if (failure) defaultExport = failedStart(requestLog);
  defaultExport ??= legacyHandlers ? legacyDefault(python, { routes, requestLog }) : {};
  return { defaultExport, named };
}

// The handlers a request may run instead of fetch, by path: { "/__scheduled": "scheduled", … }.
export function handlerRoutes({ testScheduled, testHandler }) {
  const routes = {};
  if (testScheduled) for (const path of SCHEDULED_ROUTES) routes[path] = "scheduled";
  if (testHandler) routes[TEST_ROUTE] = "test";
  return routes;
}

function entrypointClass(python, className, base, methodNames, { legacyHandlers, routes, logged }) {
  const kind = base === DurableObject ? "durableObject" : base === WorkflowEntrypoint ? "workflow" : "worker";
  const isRouted = Object.keys(routes).length > 0;
  // The Python instance lives as long as workerd keeps its JavaScript wrapper (a request, a Durable Object). Before
  // 2025-05-05 workerd has no FinalizationRegistry: a `Default` instance is released when its request is answered.
  const releaseWhenCollected = FINALIZATION_REGISTRY_IS_REAL ? new FinalizationRegistry(python.release) : null;
  const releasePerRequest = !releaseWhenCollected && className === "Default";
  const wrapper = class extends base {
    constructor(...args) {
      super(...args);
      const instance = { id: nextInstanceId++, construct: [className, ...args] }; // created by its first call
      releaseWhenCollected?.register(this, instance.id);
      const call = (property) => forwarded(python, instance, property, { kind, legacyHandlers });
      return new Proxy(this, {
        get(target, property, receiver) {
          if (typeof property !== "string") return Reflect.get(target, property, receiver);
          if (property !== "fetch") return call(property);
          let fetch = call("fetch");
          if (isRouted) {
            const callHandler = (name, ...handlerArgs) => call(name)(...handlerArgs);
            fetch = (request) => routed(request, routes, callHandler, target.env, target.ctx);
          }
          if (releasePerRequest) fetch = releasingAfter(fetch, () => python.release(instance.id));
          return logged ? (request) => logRequest(LOG_NAME, request, target.ctx, () => fetch(request)) : fetch;
        },
      });
    }
  };
  Object.defineProperty(wrapper, "name", { value: className });
  // workerd and miniflare look for handler methods on the prototype; calls go through the proxy above.
  for (const method of methodNames) wrapper.prototype[jsName(method, legacyHandlers)] = function () {};
  if (isRouted) wrapper.prototype.fetch ??= function () {};
  return wrapper;
}

let nextInstanceId = 1;

function releasingAfter(fetch, release) {
  return async (...args) => {
    try {
      return await fetch(...args);
    } finally {
      release();
    }
  };
}

function forwarded(python, instance, property, { kind, legacyHandlers }) {
  const isHandler =
    HANDLERS.includes(property) || (kind === "durableObject" && DURABLE_OBJECT_HANDLERS.includes(property));
  const method = legacyHandlers && isHandler ? `on_${property}` : property;
  const raw = (isHandler && property !== "fetch") || (kind === "workflow" && property === "run");
  const relaxed = property === "fetch" || property === "test"; // as workerd's Python calls them
  const conversion = raw ? "raw" : relaxed ? "relaxed" : "strict";
  const call = (...args) => {
    const fetchRequest = property === "fetch" && args.length === 1 && args[0] instanceof Request;
    return python.call(instance, method, fetchRequest ? "fetch" : conversion, args);
  };
  return property === "fetch" ? answeringErrors(call) : call;
}

// In the legacy style (before python_no_global_handlers), `fetch` on a class is the Python method `on_fetch`.
function jsName(method, legacyHandlers) {
  return legacyHandlers && method.startsWith("on_") && HANDLERS.includes(method.slice(3)) ? method.slice(3) : method;
}

// Without a `Default` class, while the compatibility settings still allow them: the module's top-level
// `on_fetch`, `on_scheduled`, … functions (and `test`), called with workerd's own arguments.
function legacyDefault(python, { routes, requestLog }) {
  const handlers = {};
  for (const [name, pythonName] of [...HANDLERS.map((name) => [name, `on_${name}`]), ["test", "test"]]) {
    if (python.hasHandler(pythonName)) handlers[name] = (...args) => python.callHandler(pythonName, args);
  }
  let fetch = handlers.fetch && answeringErrors(handlers.fetch);
  if (Object.keys(routes).length > 0) {
    const call = (name, ...args) => (handlers[name] ? handlers[name](...args) : missingHandler(name));
    const plain = fetch ?? (() => missingHandler("fetch"));
    fetch = (request, env, ctx) => routed(request, routes, call, env, ctx, plain);
  }
  if (fetch) handlers.fetch = fetch;
  return requestLog ? withRequestLog(LOG_NAME, handlers) : handlers;
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
function failedStart(requestLog) {
  const handlers = {
    fetch: async () => {
      console.error("[pyodide-workerd] the worker failed to start (traceback above); save a file to reload");
      return internalServerError();
    },
  };
  return requestLog ? withRequestLog(LOG_NAME, handlers) : handlers;
}
