#!/usr/bin/env node
// pyodide-workerd: serves a Python Worker folder offline, inside workerd (through miniflare), with Pyodide
// running as an ordinary module worker; bindings are workerd's own.
import fs from "node:fs";
import module from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { readWorkerConfig, StartupError } from "./config.mjs";
import { packageRequire as require } from "./packages.mjs";
import { hostModules, MODULES_ROOT } from "./modules.mjs";
import { hasSnapshots, modulesToPreload, readSnapshot, snapshotFile, snapshotKey, writeSnapshot } from "./snapshot.mjs";

// Caches V8 bytecode of wrangler's and miniflare's bundles (in the OS temp folder): a faster start.
module.enableCompileCache?.();

const USAGE =
  "usage: node serve.mjs --worker-dir DIR --port PORT [--ip 127.0.0.1] --persist-to STATE " +
  "[--snapshot-dir DIR] [--no-snapshot] [--watch]";
const OPTIONS = {
  "worker-dir": { type: "string" },
  port: { type: "string" },
  ip: { type: "string", default: "127.0.0.1" },
  "persist-to": { type: "string" },
  "snapshot-dir": { type: "string" },
  "no-snapshot": { type: "boolean", default: false },
  watch: { type: "boolean", default: false },
};
const PARENT_CHECK_MS = 500;
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
  };
}

function miniflareOptions(config, options, modules) {
  const { convertV4MiniflareOptions } = require("miniflare");
  const persistRoot = path.join(options.stateDir, "v3"); // `wrangler dev --persist-to STATE` keeps data in STATE/v3
  return convertV4MiniflareOptions({
    ...config.bindingOptions,
    name: config.name,
    modules,
    modulesRoot: MODULES_ROOT,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    host: options.ip,
    port: options.port,
    resourcePersistencePath: persistRoot,
  });
}

// A snapshot taken in workerd itself, during a request, so it can be restored during one.
async function takeSnapshot(config, options, preload) {
  const { Miniflare } = require("miniflare");
  const modules = hostModules({ config, mode: "snapshot", snapshot: null, preload });
  const snapshotter = withoutMiniflareSignalHandlers(
    () => new Miniflare(miniflareOptions(config, { ...options, port: 0 }, modules)),
  );
  try {
    const response = await snapshotter.dispatchFetch("http://snapshot.invalid/");
    if (!response.ok) throw new StartupError(`taking the snapshot failed: ${await response.text()}`);
    for (const failure of JSON.parse(response.headers.get("x-preload-failed") ?? "[]")) {
      console.error(`[pyodide-workerd] could not preload ${failure}`);
    }
    return Buffer.from(await response.arrayBuffer());
  } finally {
    await snapshotter.dispose();
  }
}

async function snapshotFor(config, options, preload) {
  if (!options.snapshotDir) {
    log("snapshot: disabled");
    return null;
  }
  const { key, parts } = snapshotKey({ pyodideVersion: pyodideVersion(), config, preload });
  const file = snapshotFile(options.snapshotDir, key);
  const cached = readSnapshot(file);
  if (cached) {
    log(`snapshot: loaded ${file}`);
    return cached;
  }
  // Announced before it starts (tens of seconds): a harness reading this log tells its user what the wait is for.
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

function pyodideVersion() {
  return require("pyodide/package.json").version;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  exitWithParent();
  const config = readWorkerConfig(options.workerDir);
  const preload = modulesToPreload(config.srcDir);
  const snapshot = await snapshotFor(config, options, preload);
  const { Miniflare } = require("miniflare");
  const modules = () => hostModules({ config, mode: "serve", snapshot, preload });
  const build = () => ({ ...miniflareOptions(config, options, modules()), log: requestLog() });
  const server = withoutMiniflareSignalHandlers(() => new Miniflare(build()));
  installShutdown(server);
  const url = await server.ready;
  log(`Ready on ${url.origin} (pyodide-workerd, Pyodide ${pyodideVersion()}, workerd ${workerdVersion()})`);
  if (options.watch) watchSources(config.srcDir, () => server.setOptions(build()));
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

function workerdVersion() {
  return require("workerd/package.json").version;
}

// Reload on edit, as `wrangler dev` does: the worker's own modules are not in the snapshot, so the new
// code is served after a quick restart of workerd.
function watchSources(srcDir, reload) {
  let timer = null;
  fs.watch(srcDir, { recursive: true }, (event, file) => {
    if (!file?.endsWith(".py")) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        await reload();
        log(`reloaded: ${file} changed`);
      } catch (error) {
        console.error(`[pyodide-workerd] reload failed: ${error.message}`);
      }
    }, 100);
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
