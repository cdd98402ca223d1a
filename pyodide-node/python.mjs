// Starts Pyodide for a worker: from a cached memory snapshot when possible, otherwise from scratch.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide, version as pyodideVersion } from "pyodide";
import { StartupError } from "./config.mjs";
import { ExecutionContext } from "./entrypoint-helper.mjs";
import { modulesToPreload, readSnapshot, snapshotFile, snapshotKey, writeSnapshot } from "./snapshot.mjs";

export { pyodideVersion };

const BOOTSTRAP_SOURCE = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "bootstrap.py"));
const MOUNTS = { pythonModules: "/session/python_modules", src: "/session/src", runtime: "/session/pyodide-node" };

// Returns the interpreter's bootstrap module (see bootstrap.py) once the worker's packages are imported.
export async function startPython({ config, helper, snapshotDir, log }) {
  const preload = modulesToPreload(config.srcDir);
  const boot = (options) => bootPyodide(config, options);
  if (!snapshotDir) {
    log("snapshot: disabled");
    return prepareInterpreter(await boot({}), config, helper, preload);
  }
  const { key, parts } = snapshotKey({ pyodideVersion, config, preload });
  const file = snapshotFile(snapshotDir, key);
  const cached = readSnapshot(file);
  if (cached) {
    const bootstrap = await restore(boot, cached, helper);
    log(`snapshot: loaded ${file}`);
    return bootstrap;
  }
  const maker = await boot({ _makeSnapshot: true });
  const makerBootstrap = await prepareInterpreter(maker, config, helper, preload);
  let bytes;
  try {
    bytes = maker.makeMemorySnapshot({ serializer: (object) => helperName(helper, object) });
  } catch (error) {
    log(`snapshot: not created (${error.message}); running without one`);
    return makerBootstrap;
  }
  writeSnapshot(file, bytes, parts);
  log(`snapshot: created ${file}`);
  // Serve from the snapshot just taken, so first and later starts run the same interpreter state.
  return restore(boot, bytes, helper);
}

function bootPyodide(config, options) {
  return loadPyodide({
    ...options,
    env: { PYTHONDONTWRITEBYTECODE: "1" },
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    fsInit: (FS) => mountWorkerFolders(FS, config),
  });
}

// Mounted before a snapshot is restored as well, at fixed paths, so the image never names host paths.
function mountWorkerFolders(FS, config) {
  const mount = (hostDir, mountPoint) => {
    FS.mkdirTree(mountPoint);
    FS.mount(FS.filesystems.NODEFS, { root: hostDir }, mountPoint);
  };
  mount(config.pythonModulesDir, MOUNTS.pythonModules);
  mount(config.srcDir, MOUNTS.src);
  FS.mkdirTree(MOUNTS.runtime);
  FS.writeFile(`${MOUNTS.runtime}/_pyodide_node.py`, BOOTSTRAP_SOURCE);
}

async function prepareInterpreter(pyodide, config, helper, preload) {
  pyodide.registerJsModule("_pyodide_entrypoint_helper", helper);
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(MOUNTS.runtime)})`);
  const bootstrap = pyodide.pyimport("_pyodide_node");
  bootstrap.install_compat_flags(pyodide.toPy(config.compatibilityFlags));
  bootstrap.add_package_dir(MOUNTS.pythonModules);
  const failed = bootstrap.preload(pyodide.toPy(preload)).toJs();
  if (failed.length) console.error(`[pyodide-node] could not preload: ${failed.join(", ")}`);
  return bootstrap;
}

async function restore(boot, bytes, helper) {
  const pyodide = await boot({ _loadSnapshot: bytes, _snapshotDeserializer: (name) => helperPart(helper, name) });
  const bootstrap = pyodide.pyimport("_pyodide_node");
  bootstrap.after_restore();
  return bootstrap;
}

// A snapshot may only refer to JS objects it can name; ours are the helper module and its parts.
function helperName(helper, object) {
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
    if (error.type !== "WorkerLoadError") process.stderr.write(`${error.message}\n`);
    throw new StartupError(lastLine(error.message));
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
