// Runs a Python Worker inside workerd as workerd's own Python does: at start-up (the module's top level) Pyodide
// boots, from a memory snapshot when the launcher supplies one, and the worker's main module is imported; its
// classes become the module's exports (entrypoints.mjs). The launcher generates the main module (main.mjs) that
// awaits `start()` and exports what it returns under the names it found in the worker's source.
import { enterRequestContext, enterStartup } from "./startup.mjs";
import { bootPyodide, placement } from "./boot.mjs";
import { loadedLibraries, registerCompiledLibraries, reloadLibraries } from "./dynlibs.mjs";
import { entrypointHelper } from "./entrypoint-helper.mjs";
import { buildExports, handlerRoutes } from "./entrypoints.mjs";
import { BOOT_BEGINS, FATAL_MARKER, INTERPRETER_UP, MISSING_EXPORTS_MARKER } from "./markers.mjs";
import files from "./files.mjs";
import setup from "./setup.mjs";

// Fixed paths inside Pyodide: a snapshot names none of the host's paths and fits any checkout.
const MOUNTS = { runtime: "/session/runtime", python_modules: "/session/python_modules", src: "/session/src" };

export async function start() {
  startupMark(BOOT_BEGINS);
  nameTheHost();
  registerCompiledLibraries(files.libraries);
  try {
    const worker = setup.mode === "snapshot" ? await takeSnapshot() : await startWorker();
    return { ...worker, reportMissingExports };
  } catch (error) {
    const failure = error?.stack ?? String(error);
    console.error(`[pyodide-workerd] the worker failed to start:\n${failure}`);
    return { ...buildExports({ python: null, classes: NO_CLASSES, failure }), reportMissingExports };
  }
}

const NO_CLASSES = { durableObjects: [], workerEntrypoints: [], workflowEntrypoints: [] };

function reportMissingExports(exported) {
  const missing = Object.keys(this.named).filter((name) => !exported.includes(name));
  if (missing.length > 0) console.error(`${MISSING_EXPORTS_MARKER} ${JSON.stringify(missing)}`);
}

// Snapshot mode: the interpreter with the SDK and the worker's packages imported, as bytes for the launcher.
// Nothing of the worker's own code runs, and this worker has no bindings, routes or assets.
async function takeSnapshot() {
  const pyodide = await bootPyodide({ _makeSnapshot: true });
  const host = prepareInterpreter(pyodide);
  enterStartup(pyodide._module, host.entropy_allowance_address());
  const failed = host.preload(pyodide.toPy(setup.preload)).toJs();
  const snapshot = pyodide.makeMemorySnapshot({ serializer: jsObjectName });
  const libraries = loadedLibraries(pyodide._module);
  const headers = { "x-preload-failed": JSON.stringify(failed), "x-libraries": JSON.stringify(libraries) };
  return { defaultExport: { fetch: async () => new Response(snapshot, { headers }) }, named: {} };
}

async function startWorker() {
  const restoring = Boolean(setup.snapshot);
  const pyodide = restoring ? await restoreInterpreter() : await bootPyodide({});
  const host = restoring ? pyodide.pyimport("_pyodide_host") : prepareInterpreter(pyodide);
  startupMark(INTERPRETER_UP);
  pyodide._api.on_fatal = () => console.error(`${FATAL_MARKER}; the worker starts again`);
  writeFiles(pyodide.FS, ["src"]);
  enterStartup(pyodide._module, host.entropy_allowance_address());
  const loaded = host.load_main_module(MOUNTS.src, setup.mainModule, restoring).toJs({
    dict_converter: Object.fromEntries,
  });
  if (loaded.failure) console.error(`[pyodide-workerd] the worker failed to start:\n${loaded.failure}`);
  else
    console.log(`[pyodide-workerd] Python ${host.python_version()} ready (${restoring ? "snapshot" : "no snapshot"})`);
  const choices = { routes: handlerRoutes(setup), requestLog: setup.requestLog };
  return buildExports({ python: pythonSide(host), ...loaded, ...choices });
}

// With the launcher's --timings, a line it times as it arrives (workerd's clock stands still at start-up).
function startupMark(what) {
  if (setup.timings) console.log(`[pyodide-workerd] ${what}`);
}

// Everything here ends up in a snapshot; the worker's own src/ is loaded after it.
function prepareInterpreter(pyodide) {
  writeFiles(pyodide.FS, ["runtime", "python_modules"]);
  pyodide.registerJsModule("_pyodide_entrypoint_helper", entrypointHelper);
  pyodide.registerJsModule("_cloudflare_compat_flags", compatibilityFlags());
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(MOUNTS.runtime)})`);
  const host = pyodide.pyimport("_pyodide_host");
  host.prepare_interpreter(MOUNTS.python_modules);
  return host;
}

// A snapshot keeps the interpreter's memory, not its file system nor its native libraries: before the memory is
// copied in, the files are written again and the libraries loaded again where they were.
function restoreInterpreter() {
  const beforeRestore = (Module) => {
    writeFiles(Module.FS, ["runtime", "python_modules"]);
    reloadLibraries(Module, setup.snapshotLibraries, placement);
  };
  const options = { _loadSnapshot: setup.snapshot, _snapshotDeserializer: jsObjectNamed };
  return bootPyodide(options, { beforeRestore });
}

function writeFiles(FS, groups) {
  for (const group of groups) {
    for (const [relativePath, contents] of Object.entries(files[group])) {
      const target = `${MOUNTS[group]}/${relativePath}`;
      FS.mkdirTree(target.slice(0, target.lastIndexOf("/")));
      FS.writeFile(target, new Uint8Array(contents));
    }
  }
}

// How entrypoints.mjs talks to Python. The first call in a request reseeds what start-up left deterministic.
// Each Python function is looked up once: `host.name` makes a new PyProxy at every lookup.
function pythonSide(host) {
  const python = Object.fromEntries(PYTHON_FUNCTIONS.map((name) => [name, host[name]]));
  let requestsBegan = false;
  const beforeRequest = () => {
    if (requestsBegan) return;
    requestsBegan = true;
    enterRequestContext();
    host.before_first_request();
  };
  return {
    // `instance` is { id, construct }: construct holds the class name and constructor arguments until the call
    // that creates the Python instance. Calls are promising, as workerd's own: JSPI (pyodide.ffi.run_sync) works.
    async call(instance, name, conversion, args) {
      const construct = instance.construct;
      if (construct) {
        instance.construct = null;
        beforeRequest();
      }
      try {
        return await python.call.callPromising(instance.id, construct ?? undefined, name, conversion, ...args);
      } catch (error) {
        if (error?.type === "MethodMissing") throw new TypeError(`Method ${name} does not exist`);
        throw error;
      }
    },
    release: (instanceId) => python.release(instanceId),
    hasHandler: (name) => python.has_handler(name),
    async callHandler(name, args) {
      beforeRequest();
      const result = await python.call_handler(name, ...args);
      return result?.js_response ?? result;
    },
  };
}

const PYTHON_FUNCTIONS = ["call", "release", "has_handler", "call_handler"];

// Python sees workerd's flags for the worker's compatibility date and flags, plus the Python flags the launcher
// keeps from workerd (`python_workers` would make workerd load its own Python bundle). One object: a snapshot
// names it.
let flagsObject = null;
function compatibilityFlags() {
  if (!flagsObject) {
    flagsObject = { ...globalThis.Cloudflare.compatibilityFlags };
    for (const flag of setup.pythonFlags) flagsObject[flag] = true;
  }
  return flagsObject;
}

// A snapshot may only refer to JavaScript objects it can name: the entrypoint helper and its parts, the flags.
function namedJsObjects() {
  return { helper: entrypointHelper, ...entrypointHelper, compatFlags: compatibilityFlags() };
}

function jsObjectName(object) {
  const name = Object.entries(namedJsObjects()).find(([, value]) => value === object)?.[0];
  if (!name) throw new Error("the worker's packages hold a JavaScript object at import time");
  return name;
}

function jsObjectNamed(name) {
  return namedJsObjects()[name];
}

// /status reports navigator.userAgent: workerd's own, with this host and its versions added, so that a Python
// worker here can be told apart from one on workerd's own Python support.
function nameTheHost() {
  if (typeof navigator === "undefined") return; // before global_navigator (2022-03-21)
  const { pyodide, workerd } = setup.versions;
  const userAgent = `${navigator.userAgent} (pyodide-workerd; Pyodide ${pyodide}; workerd ${workerd})`;
  Object.defineProperty(navigator, "userAgent", { value: userAgent, configurable: true, enumerable: true });
}
