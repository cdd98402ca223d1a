// The worker's bindings from wrangler's getPlatformProxy (local workerd, offline).
import { createRequire } from "node:module";
import path from "node:path";
import { StartupError } from "./config.mjs";
import { D1Database } from "./d1.mjs";

const require = createRequire(import.meta.url);

export async function startPlatform(config, stateDir) {
  // Yield once so that Pyodide, started just before, gets its wasm compiling in the background
  // before the synchronous require() of wrangler's 15 MB bundle holds the thread. require(), not
  // import(): wrangler is CommonJS, and import() would first scan it for ESM syntax.
  await new Promise((resolve) => setImmediate(resolve));
  const { getPlatformProxy } = require("wrangler");
  const signalListenersBefore = signalListeners();
  let proxy;
  try {
    proxy = await getPlatformProxy({
      configPath: config.configPath,
      // `wrangler dev --persist-to STATE` keeps its data in STATE/v3; getPlatformProxy takes that v3 folder.
      persist: { path: path.join(stateDir, "v3") },
      remoteBindings: false,
    });
  } catch (error) {
    throw new StartupError(`wrangler could not provide the bindings: ${error.message.split("\n")[0]}`);
  }
  removeSignalListenersAddedSince(signalListenersBefore);
  return {
    env: nameBindings(proxy.env, config.bindingClassNames),
    dispose: () => proxy.dispose(),
  };
}

// Miniflare's own SIGINT/SIGTERM handlers kill workerd and exit with 130/143 at once; serve.mjs
// shuts down itself (dispose, exit 0). Its exit hook stays and still kills workerd on any exit.
const SIGNALS = ["SIGINT", "SIGTERM"];

function signalListeners() {
  return new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
}

function removeSignalListenersAddedSince(before) {
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal).includes(listener)) process.removeListener(signal, listener);
    }
  }
}

// The Python SDK wraps a binding by its constructor's name (workerd's class names), but the
// proxies answer "constructor" with a remote call stub: D1 gets a local front (d1.mjs), other
// bindings a proxy that reports the right name.
function nameBindings(env, classNames) {
  const named = {};
  for (const [binding, value] of Object.entries(env)) {
    const className = classNames.get(binding);
    if (className === "D1Database") named[binding] = new D1Database(value);
    else named[binding] = className ? withConstructorName(value, className) : value;
  }
  return named;
}

function withConstructorName(binding, className) {
  const constructor = { [className]: class {} }[className];
  return new Proxy(binding, {
    get: (target, property) => (property === "constructor" ? constructor : Reflect.get(target, property)),
  });
}
