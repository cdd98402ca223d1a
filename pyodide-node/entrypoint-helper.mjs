// The JavaScript side that workerd gives the Python SDK: `_pyodide_entrypoint_helper` and the
// per-request ExecutionContext.
import path from "node:path";
import { pathToFileURL } from "node:url";

// Python awaitables reach JS as borrowed proxies that Pyodide destroys when the call returns,
// so keep a copy until the awaitable settles.
function retainAwaitable(value) {
  const kept = typeof value?.copy === "function" ? value.copy() : value;
  return Promise.resolve(kept).finally(() => kept?.destroy?.());
}

function keepRunning(value) {
  retainAwaitable(value).catch((error) => {
    console.error(`[pyodide-node] waitUntil task failed:\n${error?.message ?? error}`);
  });
}

export class ExecutionContext {
  props = {};

  get [Symbol.toStringTag]() {
    return "ExecutionContext";
  }

  waitUntil(promise) {
    keepRunning(promise);
  }

  passThroughOnException() {}
}

export function createEntrypointHelper(workerDir) {
  const cloudflareWorkersModule = { env: undefined, waitUntil: keepRunning };
  const cloudflareSocketsModule = {
    connect() {
      throw new Error("cloudflare:sockets connect() is not available in pyodide-node");
    },
  };

  function doAnImport(name) {
    if (name === "cloudflare:workers") return Promise.resolve(cloudflareWorkersModule);
    if (name === "cloudflare:sockets") return Promise.resolve(cloudflareSocketsModule);
    if (name.startsWith("python_modules/")) return import(pathToFileURL(path.join(workerDir, name)).href);
    return Promise.reject(new Error(`pyodide-node cannot import the JavaScript module ${name}`));
  }

  // workerd's patch_env: bindings added for the duration of a `with patch_env(...)` block.
  function* patch_env_helper(patch) {
    const original = cloudflareWorkersModule.env;
    const additions = patch instanceof Map ? Object.fromEntries(patch) : patch;
    cloudflareWorkersModule.env = { ...original, ...additions };
    try {
      yield;
    } finally {
      cloudflareWorkersModule.env = original;
    }
  }

  // Our ExecutionContext already retains Python awaitables, so there is nothing to patch.
  function patchWaitUntil() {}

  return { cloudflareWorkersModule, cloudflareSocketsModule, doAnImport, patch_env_helper, patchWaitUntil };
}
