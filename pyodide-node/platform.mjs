// The worker's bindings from wrangler's getPlatformProxy (local workerd, offline).
import path from "node:path";

export async function startPlatform(config, stateDir) {
  const { getPlatformProxy } = await import("wrangler");
  const proxy = await getPlatformProxy({
    configPath: config.configPath,
    // `wrangler dev --persist-to STATE` keeps its data in STATE/v3; getPlatformProxy takes that v3 folder.
    persist: { path: path.join(stateDir, "v3") },
    remoteBindings: false,
  });
  return {
    env: nameBindings(proxy.env, config.bindingClassNames),
    dispose: () => proxy.dispose(),
  };
}

// The proxies answer every property, "constructor" included, with a remote call stub; the
// Python SDK needs workerd's class names to wrap a binding (e.g. D1Database).
function nameBindings(env, classNames) {
  const named = {};
  for (const [binding, value] of Object.entries(env)) {
    const className = classNames.get(binding);
    named[binding] = className ? withConstructorName(value, className) : value;
  }
  return named;
}

function withConstructorName(binding, className) {
  const constructor = { [className]: class {} }[className];
  return new Proxy(binding, {
    get: (target, property) => (property === "constructor" ? constructor : Reflect.get(target, property)),
  });
}
