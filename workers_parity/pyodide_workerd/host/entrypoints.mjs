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
// Handlers workerd calls with its own objects; but for fetch, their arguments are passed as they are.
const HANDLERS = ["fetch", "alarm", "scheduled", "trace", "queue", "pubsub", "test", "tail"];
const DURABLE_OBJECT_HANDLERS = ["alarm", "webSocketMessage", "webSocketClose", "webSocketError"];
// `--test-scheduled`, as wrangler dev's: GET /__scheduled?cron=… (or /cdn-cgi/handler/scheduled) runs `scheduled`.
const SCHEDULED_ROUTES = ["/__scheduled", "/cdn-cgi/handler/scheduled"];

// `python` is the host's Python side (host.mjs pythonSide), `classes` its introspection of the main module.
export function buildExports({ python, classes, legacyHandlers, failure, testScheduled }) {
  const named = {};
  for (const [kind, base] of Object.entries(BASE_CLASSES)) {
    for (const { className, methodNames } of classes[kind]) {
      const scheduledRoutes = testScheduled && className === "Default";
      named[className] = entrypointClass(python, className, base, methodNames, { legacyHandlers, scheduledRoutes });
    }
  }
  let defaultExport = named.Default;
  delete named.Default;
  if (failure) defaultExport = failedStart(failure);
  defaultExport ??= legacyHandlers ? legacyDefault(python, { scheduledRoutes: testScheduled }) : {};
  return { defaultExport, named };
}

function entrypointClass(python, className, base, methodNames, { legacyHandlers, scheduledRoutes }) {
  const kind = base === DurableObject ? "durableObject" : base === WorkflowEntrypoint ? "workflow" : "worker";
  const wrapper = class extends base {
    constructor(...args) {
      super(...args);
      const instance = python.instantiate(className, args);
      const call = (property) => forwarded(python, instance, property, { kind, legacyHandlers });
      return new Proxy(this, {
        get(target, property, receiver) {
          if (typeof property !== "string") return Reflect.get(target, property, receiver);
          if (property === "fetch" && scheduledRoutes) {
            return (request) => routeScheduled(request, call("fetch"), call("scheduled"), target.env, target.ctx);
          }
          return call(property);
        },
      });
    }
  };
  Object.defineProperty(wrapper, "name", { value: className });
  // workerd and miniflare look for handler methods on the prototype; calls go through the proxy above.
  for (const method of methodNames) wrapper.prototype[jsName(method, legacyHandlers)] = function () {};
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
    return python.callConverted(pythonInstance, method, args, { relaxed: property === "fetch" });
  };
  return property === "fetch" ? answeringErrors(call) : call;
}

// An exception the worker's fetch did not handle: its traceback goes to the log, the client gets a plain 500 (not
// the stack trace that miniflare's development error page would show).
function answeringErrors(fetch) {
  return async (...args) => {
    try {
      return await fetch(...args);
    } catch (error) {
      console.error(error?.constructor?.name === "PythonError" ? error.message : (error?.stack ?? String(error)));
      return internalServerError();
    }
  };
}

function internalServerError() {
  return new Response("Internal Server Error", {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

// In the legacy style (before python_no_global_handlers), `fetch` on a class is the Python method `on_fetch`.
function jsName(method, legacyHandlers) {
  return legacyHandlers && method.startsWith("on_") && HANDLERS.includes(method.slice(3)) ? method.slice(3) : method;
}

// Without a `Default` class, while the compatibility settings still allow them: the module's top-level
// `on_fetch`, `on_scheduled`, … functions, called with workerd's own arguments.
function legacyDefault(python, { scheduledRoutes }) {
  const handlers = {};
  for (const name of HANDLERS) {
    if (python.hasHandler(`on_${name}`)) handlers[name] = (...args) => python.callHandler(`on_${name}`, args);
  }
  if (handlers.fetch) handlers.fetch = answeringErrors(handlers.fetch);
  if (scheduledRoutes && handlers.fetch) {
    const { fetch, scheduled } = handlers;
    handlers.fetch = (request, env, ctx) => routeScheduled(request, fetch, scheduled, env, ctx, true);
  }
  return handlers;
}

async function routeScheduled(request, fetch, scheduled, env, ctx, passEnv = false) {
  const url = new URL(request.url);
  if (!SCHEDULED_ROUTES.includes(url.pathname)) return passEnv ? fetch(request, env, ctx) : fetch(request);
  if (!scheduled) return new Response("The worker has no scheduled handler", { status: 500 });
  await scheduled({ cron: url.searchParams.get("cron") ?? "", scheduledTime: Date.now(), noRetry() {} }, env, ctx);
  return new Response("Ran scheduled event");
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
