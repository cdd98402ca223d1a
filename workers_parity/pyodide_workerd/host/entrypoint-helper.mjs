// `_pyodide_entrypoint_helper`: the JavaScript side that workerd's Python support gives the Workers SDK.
// The modules it hands over are workerd's own; only this glue is ours.
import * as cloudflareWorkersModule from "cloudflare:workers";
import * as cloudflareSocketsModule from "cloudflare:sockets";
import { WorkerEntrypoint } from "cloudflare:workers";

const BUILTIN_PREFIXES = ["cloudflare:", "node:", "workerd:"];

// `import_from_javascript(name)`: workerd's modules, or a JavaScript module of the worker (e.g. the SDK's
// `python_modules/workers/workflows.js`), which the launcher bundles under the same path.
async function doAnImport(name) {
  if (BUILTIN_PREFIXES.some((prefix) => name.startsWith(prefix))) return import(name);
  return import(`./${name.replace(/^(\.\/)+/, "")}`);
}

// `with patch_env(...)` in Python: bindings added to the env for the duration of the block.
function* patch_env_helper(patch) {
  const env = cloudflareWorkersModule.env;
  const additions = patch instanceof Map ? Object.fromEntries(patch) : patch;
  const saved = Object.keys(additions).map((key) => [key, Object.getOwnPropertyDescriptor(env, key)]);
  Object.assign(env, additions);
  try {
    yield;
  } finally {
    for (const [key, descriptor] of saved) {
      if (descriptor) Object.defineProperty(env, key, descriptor);
      else delete env[key];
    }
  }
}

// A Python awaitable reaches JavaScript as a proxy that Pyodide destroys when the call returns: keep a copy
// alive until it settles, so `ctx.waitUntil(coroutine)` from Python works as in workerd.
const patchedContexts = new WeakSet();
function patchWaitUntil(ctx) {
  if (Object.prototype.toString.call(ctx) !== "[object ExecutionContext]" || patchedContexts.has(ctx)) return;
  patchedContexts.add(ctx);
  const waitUntil = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = (awaitable) => {
    const kept = typeof awaitable?.copy === "function" ? awaitable.copy() : awaitable;
    waitUntil(Promise.resolve(kept).finally(() => kept?.destroy?.()));
  };
}

export const entrypointHelper = {
  cloudflareWorkersModule,
  cloudflareSocketsModule,
  workerEntrypoint: WorkerEntrypoint,
  doAnImport,
  patch_env_helper,
  patchWaitUntil,
};
