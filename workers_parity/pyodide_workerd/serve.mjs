#!/usr/bin/env node
// pyodide-workerd: serves a Python Worker folder offline, inside workerd (through miniflare), with Pyodide
// running as an ordinary module worker; bindings are workerd's own.
import fs from "node:fs";
import module from "node:module";
import path from "node:path";
import { readWorkerConfig, StartupError } from "./config.mjs";
import { exportNames } from "./exports.mjs";
import {
  enableTimings,
  exitWithParent,
  installShutdown,
  launcherArguments,
  log,
  loggingOptions,
  printWorkerdLine,
  reloadWorker,
  runMain,
  servingOptions,
  timing,
  watchSources,
  withoutMiniflareSignalHandlers,
  workerdVersion,
} from "./launcher.mjs";
import { BOOT_BEGINS, FATAL_MARKER, INTERPRETER_UP, MISSING_EXPORTS_MARKER } from "./host/markers.mjs";
import { hostModules, MODULES_ROOT } from "./modules.mjs";
import { packageRequire as require } from "./packages.mjs";
import { runWranglerDev, writeWranglerFolder } from "./wrangler-dev.mjs";
import { hasSnapshots, modulesToPreload, readSnapshot, snapshotFile, snapshotKey, writeSnapshot } from "./snapshot.mjs";

// Caches V8 bytecode of wrangler's and miniflare's bundles (in the OS temp folder): a faster start.
module.enableCompileCache?.();

const USAGE =
  "usage: node serve.mjs --worker-dir DIR --port PORT [--ip 127.0.0.1] --persist-to STATE " +
  "[--snapshot-dir DIR] [--no-snapshot] [--watch] [--test-scheduled] [--test-handler] [--pyodide-package pyodide] " +
  "[--timings] [--host direct|wrangler-dev] [--inspector-port PORT]";
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
  timings: { type: "boolean", default: false },
  host: { type: "string", default: "direct" }, // or wrangler-dev: served by `wrangler dev` (wrangler-dev.mjs)
  "inspector-port": { type: "string" }, // wrangler dev's, with --host wrangler-dev
};
const HOSTS = ["direct", "wrangler-dev"];
const NAME = "pyodide-workerd";
// The host's start-up lines (host/host.mjs) and the phase each ends; the first two only with --timings.
const HOST_MARKS = [
  [(message) => message.startsWith(`[pyodide-workerd] ${BOOT_BEGINS}`), "python-boot-begins"],
  [(message) => message.startsWith(`[pyodide-workerd] ${INTERPRETER_UP}`), "python-interpreter-up"],
  [(message) => /^\[pyodide-workerd\] Python \S+ ready/.test(message), "python-ready"],
];

function parseOptions(argv) {
  const { values, port } = launcherArguments(argv, OPTIONS, USAGE);
  if (!HOSTS.includes(values.host)) throw new StartupError(`--host is one of ${HOSTS.join(", ")}\n${USAGE}`);
  if (values.host === "wrangler-dev" && values.watch) throw new StartupError("--watch works with --host direct only");
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
    timings: values.timings,
    host: values.host,
    inspectorPort: values["inspector-port"],
  };
}

function miniflareOptions({ config, options, modules, withBindings }) {
  const { convertV4MiniflareOptions } = require("miniflare");
  return convertV4MiniflareOptions({
    ...(withBindings ? config.bindingOptions : {}),
    name: config.name,
    modules,
    modulesRoot: MODULES_ROOT,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    ...servingOptions({ ...options, withTriggers: withBindings }),
  });
}

// The snapshot is taken by a workerd of its own, at its start-up as the serving one restores it: the host alone,
// without the worker's bindings, routes or assets, so nothing of the worker runs.
async function takeSnapshot(config, options, preload) {
  const { Miniflare } = require("miniflare");
  const modules = hostModules({
    config,
    mode: "snapshot",
    snapshot: null,
    preload,
    ...hostChoices(options),
    timings: false,
  });
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
  return { pyodidePackage: options.pyodidePackage, routes, timings: options.timings };
}

function pyodideVersion(options) {
  return require(`${options.pyodidePackage}/package.json`).version;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  enableTimings(options.timings);
  timing("launcher-up");
  exitWithParent(NAME);
  checkPyodidePackage(options);
  const config = readWorkerConfig(options.workerDir);
  timing("config-read");
  if (!fs.existsSync(config.pythonModulesDir)) {
    throw new StartupError(
      `no python_modules/ in ${config.workerDir}: run \`workers-parity sync ${config.workerDir}\``,
    );
  }
  const preload = modulesToPreload(config.srcDir);
  const snapshot = await snapshotFor(config, options, preload);
  timing("snapshot-ready");
  if (options.host === "wrangler-dev") return serveUnderWranglerDev(config, options, snapshot, preload);
  const server = new Server(config, options, snapshot, preload);
  installShutdown(server);
  const url = await server.start();
  timing("workerd-listening");
  log(`Ready on ${url.origin} (pyodide-workerd, Pyodide ${pyodideVersion(options)}, workerd ${workerdVersion()})`);
  if (options.watch) watchSources(config.srcDir, (file) => server.reload(`${file} changed`));
}

// The same modules served by `wrangler dev`, which logs the requests and says when it is ready.
function serveUnderWranglerDev(config, options, snapshot, preload) {
  const names = exportNames(config.mainPath, config.classNames);
  const settings = { config, mode: "serve", snapshot, preload, exportNames: names, ...hostChoices(options) };
  const modules = hostModules({ ...settings, requestLog: false });
  const folder = path.join(config.workerDir, ".wrangler", "pyodide-workerd", "wrangler-dev");
  timing("wrangler-starting");
  installShutdown(runWranglerDev(writeWranglerFolder(config, modules, folder), options));
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

  reload(why) {
    return reloadWorker(NAME, this.miniflare, () => this.settings(), why);
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
    timing("workerd-starting");
    return { ...settings, ...loggingOptions(NAME, (entry) => this.relay(entry)) };
  }

  // workerd's own output (console.log of the worker, errors), passed on; the host's report of missing exports or of
  // a fatal error triggers a reload; the host's start-up lines are timed as they arrive.
  relay(entry) {
    const { message } = entry;
    printWorkerdLine(entry);
    const mark = HOST_MARKS.find(([isLine]) => isLine(message))?.[1];
    if (mark) timing(mark);
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

runMain(NAME, main);
