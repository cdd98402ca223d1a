// The module worker that runs a Python Worker inside workerd: it boots Pyodide (from a memory snapshot when the
// launcher supplies one), loads the worker's own entry module and hands it every request.
import "./prelude.mjs";
import { bootPyodide } from "./boot.mjs";
import { entrypointHelper } from "./entrypoint-helper.mjs";
import files from "./files.mjs";
import setup from "./setup.mjs";

// Fixed paths inside Pyodide: a snapshot names none of the host's paths and fits any checkout.
const MOUNTS = { runtime: "/session/runtime", python_modules: "/session/python_modules", src: "/session/src" };

let worker = null;
nameTheHost();

export default {
  async fetch(request, env, ctx) {
    worker ??= setup.mode === "snapshot" ? takeSnapshot() : startWorker();
    return (await worker).fetch(request, env, ctx);
  },
};

// Snapshot mode: every request answers with the bytes of a memory snapshot taken after the SDK and the
// worker's packages were imported (taken during a request, so that it also restores during one).
async function takeSnapshot() {
  const pyodide = await bootPyodide({ _makeSnapshot: true });
  const host = prepareInterpreter(pyodide);
  const failed = host.preload(pyodide.toPy(setup.preload)).toJs();
  const snapshot = pyodide.makeMemorySnapshot({ serializer: helperPartName });
  return {
    fetch: async () => new Response(snapshot, { headers: { "x-preload-failed": JSON.stringify(failed) } }),
  };
}

async function startWorker() {
  const started = performance.now();
  const pyodide = setup.snapshot
    ? await bootPyodide({ _loadSnapshot: setup.snapshot, _snapshotDeserializer: helperPart })
    : await bootPyodide({});
  let host;
  if (setup.snapshot) {
    writeFiles(pyodide, ["runtime", "python_modules"]);
    host = pyodide.pyimport("_pyodide_host");
  } else {
    host = prepareInterpreter(pyodide);
    host.preload(pyodide.toPy(setup.preload));
  }
  writeFiles(pyodide, ["src"]);
  host.prepare_for_requests(Boolean(setup.snapshot));
  host.load_entrypoint(MOUNTS.src, setup.mainModule);
  const elapsed = Math.round(performance.now() - started);
  console.log(
    `[pyodide-workerd] Python ${host.python_version()} ready in ${elapsed}ms (${setup.snapshot ? "from snapshot" : "no snapshot"})`,
  );
  const dispatchFetch = host.dispatch_fetch;
  return { fetch: (request, env, ctx) => dispatchFetch(ctx, env, request).catch(internalError) };
}

// An exception the worker did not handle: its traceback goes to the log, the client gets a plain 500 (not the
// stack trace that miniflare's development error page would show).
function internalError(error) {
  console.error(error?.constructor?.name === "PythonError" ? error.message : (error?.stack ?? String(error)));
  return new Response("Internal Server Error", {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

// Everything here ends up in a snapshot; the worker's own src/ is loaded later.
function prepareInterpreter(pyodide) {
  writeFiles(pyodide, ["runtime", "python_modules"]);
  pyodide.registerJsModule("_pyodide_entrypoint_helper", entrypointHelper);
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(MOUNTS.runtime)})`);
  const host = pyodide.pyimport("_pyodide_host");
  host.install_compat_flags(pyodide.toPy(enabledCompatibilityFlags()));
  host.add_package_dir(MOUNTS.python_modules);
  return host;
}

// A snapshot keeps the interpreter's memory, not its file system: the files are written after every boot.
function writeFiles(pyodide, groups) {
  for (const group of groups) {
    for (const [relativePath, contents] of Object.entries(files[group])) {
      const target = `${MOUNTS[group]}/${relativePath}`;
      pyodide.FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
      pyodide.FS.writeFile(target, new Uint8Array(contents));
    }
  }
}

// A snapshot may only refer to JavaScript objects it can name: the entrypoint helper and its parts.
function helperPartName(object) {
  if (object === entrypointHelper) return "helper";
  const name = Object.keys(entrypointHelper).find((key) => entrypointHelper[key] === object);
  if (!name) throw new Error("the worker's packages hold a JavaScript object at import time");
  return name;
}

function helperPart(name) {
  return name === "helper" ? entrypointHelper : entrypointHelper[name];
}

// workerd's own flags for the worker's compatibility date and flags, plus the Python flags the launcher could not
// pass to workerd (`python_workers` would make workerd load its own Python bundle).
function enabledCompatibilityFlags() {
  const compatibilityFlags = globalThis.Cloudflare.compatibilityFlags;
  const enabled = Object.keys(compatibilityFlags).filter((flag) => compatibilityFlags[flag]);
  return [...new Set([...enabled, ...setup.pythonFlags])].sort();
}

// /status reports navigator.userAgent: workerd's own, with this host and its versions added, so that a Python
// worker here can be told apart from one on workerd's own Python support.
function nameTheHost() {
  const { pyodide, workerd } = setup.versions;
  const userAgent = `${navigator.userAgent} (pyodide-workerd; Pyodide ${pyodide}; workerd ${workerd})`;
  Object.defineProperty(navigator, "userAgent", { value: userAgent, configurable: true, enumerable: true });
}
