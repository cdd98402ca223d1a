// Starts Pyodide for a worker: from a cached memory snapshot when possible, otherwise from scratch.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide, version as pyodideVersion } from "pyodide";
import { StartupError } from "./config.mjs";
import { ExecutionContext } from "./entrypoint-helper.mjs";
import { modulesToPreload, readSnapshot, snapshotFile, snapshotKey, writeSnapshot } from "./snapshot.mjs";

export { pyodideVersion };

const RUNTIME_PYTHON_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "python");
// Fixed mount points: a snapshot then never names a host path and fits any checkout.
const MOUNTS = { runtime: "/session/pyodide-node", pythonModules: "/session/python_modules", src: "/session/src" };

// Resolves to the interpreter's `_pyodide_node` module (python/_pyodide_node.py), ready for requests.
export async function startPython({ config, helper, snapshotDir, log }) {
  const preload = modulesToPreload(config.srcDir);
  if (!snapshotDir) {
    log("snapshot: disabled");
    const bootstrap = prepareInterpreter(await bootPyodide(config, {}), config, helper, preload);
    bootstrap.prepare_for_requests(false);
    return bootstrap;
  }
  const { key, parts } = snapshotKey({ pyodideVersion, config, preload });
  const file = snapshotFile(snapshotDir, key);
  const cached = readSnapshot(file);
  if (cached) {
    try {
      const bootstrap = await restore(config, helper, cached);
      log(`snapshot: loaded ${file}`);
      return bootstrap;
    } catch (error) {
      log(`snapshot: ${file} is unusable (${error.message.split("\n")[0]}); taking a new one`);
    }
  }
  const made = await makeSnapshot(config, helper, preload, log);
  if (!made.snapshot) return made.fallback;
  try {
    writeSnapshot(file, made.snapshot, parts);
    log(`snapshot: created ${file}`);
  } catch (error) {
    log(`snapshot: created but not saved (${error.message})`);
  }
  // Serve from the snapshot just taken, so first and later starts run the same interpreter state.
  return restore(config, helper, made.snapshot);
}

async function makeSnapshot(config, helper, preload, log) {
  const pyodide = await bootPyodide(config, { _makeSnapshot: true });
  const bootstrap = prepareInterpreter(pyodide, config, helper, preload);
  try {
    return { snapshot: pyodide.makeMemorySnapshot({ serializer: (object) => helperPartName(helper, object) }) };
  } catch (error) {
    log(`snapshot: not created (${error.message}); running without one`);
    bootstrap.prepare_for_requests(false);
    return { fallback: bootstrap };
  }
}

async function restore(config, helper, snapshot) {
  const pyodide = await bootPyodide(config, {
    _loadSnapshot: snapshot,
    _snapshotDeserializer: (name) => helperPart(helper, name),
  });
  const bootstrap = pyodide.pyimport("_pyodide_node");
  bootstrap.prepare_for_requests(true);
  return bootstrap;
}

function bootPyodide(config, options) {
  return loadPyodide({
    ...options,
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    fsInit: (FS) => {
      mount(FS, RUNTIME_PYTHON_DIR, MOUNTS.runtime);
      mount(FS, config.pythonModulesDir, MOUNTS.pythonModules);
      mount(FS, config.srcDir, MOUNTS.src);
    },
  });
}

// NODEFS cannot list a mount root that is a symlink, so mount what it points to.
function mount(FS, hostDir, mountPoint) {
  FS.mkdirTree(mountPoint);
  FS.mount(FS.filesystems.NODEFS, { root: fs.realpathSync(hostDir) }, mountPoint);
}

// Everything here ends up in the snapshot; the worker's own src/ is added later (load_entrypoint).
function prepareInterpreter(pyodide, config, helper, preload) {
  pyodide.registerJsModule("_pyodide_entrypoint_helper", helper);
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(MOUNTS.runtime)})`);
  const bootstrap = pyodide.pyimport("_pyodide_node");
  bootstrap.install_compat_flags(pyodide.toPy(config.compatibilityFlags));
  bootstrap.add_package_dir(MOUNTS.pythonModules);
  const failed = bootstrap.preload(pyodide.toPy(preload)).toJs();
  for (const failure of failed) console.error(`[pyodide-node] could not preload ${failure}`);
  return bootstrap;
}

// A snapshot may only refer to JavaScript objects it can name; ours are the helper and its parts.
function helperPartName(helper, object) {
  if (object === helper) return "helper";
  const name = Object.keys(helper).find((key) => helper[key] === object);
  if (!name) throw new Error("the worker's packages hold a JavaScript object at import time");
  return name;
}

function helperPart(helper, name) {
  return name === "helper" ? helper : helper[name];
}

// Imports the entry module and returns the worker: fetch(request) serves one request in Python.
export function loadWorker(bootstrap, config, env) {
  try {
    bootstrap.load_entrypoint(MOUNTS.src, config.mainModule);
  } catch (error) {
    const pythonError = lastLine(error.message);
    if (error.type === "WorkerLoadError") throw new StartupError(pythonError.replace(/^[\w.]+: /, ""));
    process.stderr.write(`${error.message}\n`);
    throw new StartupError(`cannot import ${config.main}: ${pythonError}`);
  }
  const dispatchFetch = bootstrap.dispatch_fetch;
  return {
    pythonVersion: bootstrap.python_version(),
    fetch: (request) => dispatchFetch(new ExecutionContext(), env, request),
  };
}

function lastLine(text) {
  return text.trim().split("\n").at(-1);
}
