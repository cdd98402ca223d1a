#!/usr/bin/env node
// pyodide-workerd: serves a Python Worker folder offline, inside workerd (through miniflare), with Pyodide
// running as an ordinary module worker; bindings are workerd's own.
import fs from "node:fs";
import module from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { readWorkerConfig, StartupError } from "./config.mjs";
import { exportNames } from "./exports.mjs";
import { hostModules, MODULES_ROOT } from "./modules.mjs";
import { packageRequire as require } from "./packages.mjs";
import { hasSnapshots, modulesToPreload, readSnapshot, snapshotFile, snapshotKey, writeSnapshot } from "./snapshot.mjs";

// Caches V8 bytecode of wrangler's and miniflare's bundles (in the OS temp folder): a faster start.
module.enableCompileCache?.();

const USAGE =
  "usage: node serve.mjs --worker-dir DIR --port PORT [--ip 127.0.0.1] --persist-to STATE " +
  "[--snapshot-dir DIR] [--no-snapshot] [--watch] [--test-scheduled] [--test-handler] [--pyodide-package pyodide]";
const OPTIONS = {
  "worker-dir": { type: "string" },
  port: { type: "string" },
  ip: { type: "string", default: "127.0.0.1" },
  "persist-to": { type: "string" },
  "snapshot-dir": { type: "string" },
  "no-snapshot": { type: "boolean", default: false },
  watch: { type: "boolean", default: false },
  "test-scheduled": { type: "boolean", default: false },
  "test-handler": { type: "boolean", default: false },
  "pyodide-package": { type: "string", default: "pyodide" },
};
const PARENT_CHECK_MS = 500;
const MISSING_EXPORTS_MARKER = "pyodide-workerd: entrypoint classes not exported:"; // host/host.mjs says these
const FATAL_MARKER = "pyodide-workerd: Python suffered a fatal error";
const log = (message) => console.log(message);

function parseOptions(argv) {
  let values;
  try {
    values = parseArgs({ args: argv, options: OPTIONS }).values;
  } catch (error) {
    throw new StartupError(`${error.message}\n${USAGE}`);
  }
  for (const required of ["worker-dir", "port", "persist-to"]) {
    if (!values[required]) throw new StartupError(`--${required} is required\n${USAGE}`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartupError(`invalid --port ${values.port}`);
  const workerDir = path.resolve(values["worker-dir"]);
  const defaultSnapshotDir = path.join(workerDir, ".wrangler", "pyodide-workerd-snapshots");
  return {
    workerDir,
    port,
    ip: values.ip,
    stateDir: path.resolve(values["persist-to"]),
    snapshotDir: values["no-snapshot"] ? null : path.resolve(values["snapshot-dir"] ?? defaultSnapshotDir),
    watch: values.watch,
    testScheduled: values["test-scheduled"],
    testHandler: values["test-handler"], // GET /__test runs the worker's `test` handler, as `workerd test` does
    pyodidePackage: values["pyodide-package"],
  };
}

function miniflareOptions({ config, options, modules, withBindings }) {
  const { convertV4MiniflareOptions } = require("miniflare");
  const persistRoot = path.join(options.stateDir, "v3"); // `wrangler dev --persist-to STATE` keeps data in STATE/v3
  return convertV4MiniflareOptions({
    ...(withBindings ? config.bindingOptions : {}),
    name: config.name,
    modules,
    modulesRoot: MODULES_ROOT,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    host: options.ip,
    port: options.port,
    unsafeTriggerHandlers: withBindings, // /cdn-cgi/local/scheduled and /email, as under `wrangler dev`
    cf: false, // offline: the placeholder `request.cf`, without trying to download the real one first
    resourcePersistencePath: persistRoot,
  });
}

// The snapshot is taken by a workerd of its own, at its start-up as the serving one restores it: the host alone,
// without the worker's bindings, routes or assets, so nothing of the worker runs.
async function takeSnapshot(config, options, preload) {
  const { Miniflare } = require("miniflare");
  const modules = hostModules({ config, mode: "snapshot", snapshot: null, preload, ...hostChoices(options) });
  const settings = miniflareOptions({ config, options: { ...options, port: 0 }, modules, withBindings: false });
  const snapshotter = withoutMiniflareSignalHandlers(() => new Miniflare(settings));
  try {
    const response = await snapshotter.dispatchFetch("http://snapshot.invalid/");
    if (!response.ok) throw new StartupError(`taking the snapshot failed: ${await response.text()}`);
    for (const failure of JSON.parse(response.headers.get("x-preload-failed") ?? "[]")) {
      log(`snapshot: ${failure}: imported at start-up instead`);
    }
    const libraries = JSON.parse(response.headers.get("x-libraries") ?? "[]");
    return { bytes: Buffer.from(await response.arrayBuffer()), libraries };
  } finally {
    await snapshotter.dispose();
  }
}

async function snapshotFor(config, options, preload) {
  if (!options.snapshotDir) {
    log("snapshot: disabled");
    return null;
  }
  const { key, parts } = snapshotKey({ pyodideVersion: pyodideVersion(options), config, preload });
  const file = snapshotFile(options.snapshotDir, key);
  const cached = readSnapshot(file);
  if (cached) {
    log(`snapshot: loaded ${file}`);
    return cached;
  }
  // Announced before it starts (seconds): a harness reading this log tells its user what the wait is for.
  log(`snapshot: taking ${file} (${hasSnapshots(options.snapshotDir) ? "its inputs changed" : "first start"})`);
  const snapshot = await takeSnapshot(config, options, preload);
  try {
    writeSnapshot(file, snapshot, parts);
    log(`snapshot: created ${file}`);
  } catch (error) {
    log(`snapshot: created but not saved (${error.message})`);
  }
  return snapshot;
}

function hostChoices(options) {
  const routes = { testScheduled: options.testScheduled, testHandler: options.testHandler };
  return { pyodidePackage: options.pyodidePackage, routes };
}

function pyodideVersion(options) {
  return require(`${options.pyodidePackage}/package.json`).version;
}

function workerdVersion() {
  return require("workerd/package.json").version;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  exitWithParent();
  checkPyodidePackage(options);
  const config = readWorkerConfig(options.workerDir);
  if (!fs.existsSync(config.pythonModulesDir)) {
    throw new StartupError(
      `no python_modules/ in ${config.workerDir}: run \`workers-parity sync ${config.workerDir}\``,
    );
  }
  const preload = modulesToPreload(config.srcDir);
  const snapshot = await snapshotFor(config, options, preload);
  const server = new Server(config, options, snapshot, preload);
  installShutdown(server);
  const url = await server.start();
  log(`Ready on ${url.origin} (pyodide-workerd, Pyodide ${pyodideVersion(options)}, workerd ${workerdVersion()})`);
  if (options.watch) watchSources(config.srcDir, (file) => server.reload(`${file} changed`));
}

function checkPyodidePackage(options) {
  try {
    require.resolve(`${options.pyodidePackage}/package.json`);
  } catch {
    throw new StartupError(`no npm package ${options.pyodidePackage} is installed (--pyodide-package)`);
  }
}

// One workerd serving the worker. Its export names come from the main module's source (exports.mjs); a class the
// host reports as not exported is added and workerd started again.
class Server {
  constructor(config, options, snapshot, preload) {
    Object.assign(this, { config, options, snapshot, preload, addedNames: [] });
  }

  async start() {
    const { Miniflare } = require("miniflare");
    this.miniflare = withoutMiniflareSignalHandlers(() => new Miniflare(this.settings()));
    return await this.miniflare.ready;
  }

  async reload(why) {
    try {
      await this.miniflare.setOptions(this.settings());
      log(`reloaded: ${why}`);
    } catch (error) {
      console.error(`[pyodide-workerd] reload failed: ${error.message}`);
    }
  }

  settings() {
    const names = exportNames(this.config.mainPath, this.config.classNames, this.addedNames);
    const modules = hostModules({
      config: this.config,
      mode: "serve",
      snapshot: this.snapshot,
      preload: this.preload,
      exportNames: names,
      ...hostChoices(this.options),
    });
    const settings = miniflareOptions({ config: this.config, options: this.options, modules, withBindings: true });
    return { ...settings, log: requestLog(), handleStructuredLogs: (entry) => this.relay(entry) };
  }

  // workerd's own output (console.log of the worker, errors), passed on; the host's report of missing exports or of
  // a fatal error triggers a reload.
  relay({ level, message }) {
    if (level === "error" || level === "warn") console.error(message);
    else console.log(message);
    const marker = message.indexOf(MISSING_EXPORTS_MARKER);
    if (marker >= 0) this.addMissingExports(message.slice(marker + MISSING_EXPORTS_MARKER.length));
    if (message.includes(FATAL_MARKER)) this.reload("after Python's fatal error");
  }

  addMissingExports(text) {
    const names = JSON.parse(text.split("\n")[0]).filter((name) => !this.addedNames.includes(name));
    if (names.length === 0) return;
    this.addedNames.push(...names);
    this.reload(`exporting ${names.join(", ")}`);
  }

  async dispose() {
    await this.miniflare?.dispose();
  }
}

// One line per request, as `wrangler dev` prints them ("GET /hello 200 OK (3ms)"): miniflare writes them through
// its Log. Readiness is ours to log (with the versions), so miniflare's own "Ready on" is left out.
function requestLog() {
  const { Log, LogLevel } = require("miniflare");
  const requestsOnly = class extends Log {
    logReady() {}
  };
  return new requestsOnly(LogLevel.INFO, { prefix: "pyodide-workerd" });
}

// Reload on edit, as `wrangler dev` does: the worker's own modules are not in the snapshot, so the new
// code is served after a quick restart of workerd.
function watchSources(srcDir, reload) {
  let timer = null;
  fs.watch(srcDir, { recursive: true }, (event, file) => {
    if (!file || file.split(path.sep).some((part) => part === "__pycache__" || part.startsWith("."))) return;
    clearTimeout(timer);
    timer = setTimeout(() => reload(file), 100);
  });
}

// Miniflare's own SIGINT/SIGTERM handlers kill workerd and exit with 130/143 at once; this server shuts down
// itself (dispose, exit 0). Miniflare's exit hook stays, and still kills workerd on any exit.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];

function withoutMiniflareSignalHandlers(create) {
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const created = create();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal).includes(listener)) process.removeListener(signal, listener);
    }
  }
  return created;
}

let stopping = null;

function installShutdown(server) {
  stopping = async (exitCode) => {
    stopping = () => {};
    try {
      await server.dispose();
    } finally {
      process.exit(exitCode);
    }
  };
  for (const signal of SIGNALS) process.on(signal, () => stopping(0));
}

// Started by hand or by a harness, the server goes when its parent goes: a new parent means the old one died.
function exitWithParent() {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      console.error("[pyodide-workerd] parent process exited; stopping");
      (stopping ?? process.exit)(0);
    }
  }, PARENT_CHECK_MS).unref();
}

main().catch(async (error) => {
  const message = error instanceof StartupError ? error.message : (error?.stack ?? String(error));
  console.error(`pyodide-workerd: ${message}`);
  if (stopping) await stopping(1);
  process.exit(1);
});
