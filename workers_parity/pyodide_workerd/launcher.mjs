// What both launchers share (serve.mjs for Python workers, serve-js.mjs for JavaScript ones): miniflare's serving
// options, workerd's own log passed on, start-up timings, reload on edit, and a shutdown that takes workerd along.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { StartupError } from "./config.mjs";
import { packageRequire as require } from "./packages.mjs";

const PARENT_CHECK_MS = 500;
export const log = (message) => console.log(message);

// `--timings`: one line per start-up phase, `timing: PHASE EPOCH_MS`, read by the bench (workers_parity/bench).
// The clock is the launcher's wall clock: inside workerd time does not advance while a worker starts.
let timingsWanted = false;

export function enableTimings(wanted) {
  timingsWanted = wanted;
  if (wanted) timing("process-start", performance.timeOrigin);
}

export function timing(phase, epochMs = Date.now()) {
  if (timingsWanted) log(`timing: ${phase} ${epochMs.toFixed(1)}`);
}

// The options every served worker gets: where it listens, where its state lives (`wrangler dev --persist-to STATE`
// keeps data in STATE/v3) and wrangler dev's trigger routes.
// The command line of a launcher, parsed with its options and checked for what both launchers need; a bad one is a
// StartupError that ends with the usage. Its values, and the port as a number.
export function launcherArguments(argv, options, usage) {
  let values;
  try {
    values = parseArgs({ args: argv, options }).values;
  } catch (error) {
    throw new StartupError(`${error.message}\n${usage}`);
  }
  for (const required of ["worker-dir", "port", "persist-to"]) {
    if (!values[required]) throw new StartupError(`--${required} is required\n${usage}`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartupError(`invalid --port ${values.port}`);
  return { values, port };
}

export function servingOptions({ ip, port, stateDir, withTriggers = true }) {
  return {
    host: ip,
    port,
    unsafeTriggerHandlers: withTriggers, // /cdn-cgi/handler/scheduled and /email, as under `wrangler dev`
    cf: false, // offline: the placeholder `request.cf`, without trying to download the real one first
    resourcePersistencePath: path.join(stateDir, "v3"),
  };
}

// Request lines are written by the worker's side (host/request-log.mjs), not by miniflare's loopback log.
export function loggingOptions(name, onLine = printWorkerdLine) {
  return { logRequests: false, log: quietLog(name), handleStructuredLogs: onLine };
}

// workerd's own output (the worker's console, its errors), passed on.
export function printWorkerdLine({ level, message }) {
  if (level === "error" || level === "warn") console.error(message);
  else console.log(message);
}

// miniflare's log, for its own warnings; readiness is the launcher's to log (with the versions).
function quietLog(name) {
  const { Log, LogLevel } = require("miniflare");
  const withoutReady = class extends Log {
    logReady() {}
  };
  return new withoutReady(LogLevel.INFO, { prefix: name });
}

// The worker served again with new settings (made by `settings()`: a failure to make them fails the reload too); a
// reload that fails is said, and the worker served before stays.
export async function reloadWorker(name, miniflare, settings, why) {
  try {
    await miniflare.setOptions(settings());
    log(`reloaded: ${why}`);
  } catch (error) {
    console.error(`[${name}] reload failed: ${error.message}`);
  }
}

export function workerdVersion() {
  return require("workerd/package.json").version;
}

// Reload on edit, as `wrangler dev` does.
export function watchSources(dir, reload) {
  let timer = null;
  fs.watch(dir, { recursive: true }, (event, file) => {
    if (!file || file.split(path.sep).some((part) => part === "__pycache__" || part.startsWith("."))) return;
    clearTimeout(timer);
    timer = setTimeout(() => reload(file), 100);
  });
}

// Miniflare's own SIGINT/SIGTERM handlers kill workerd and exit with 130/143 at once; the launcher shuts down
// itself (dispose, exit 0). Miniflare's exit hook stays, and still kills workerd on any exit.
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];

export function withoutMiniflareSignalHandlers(create) {
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

export function installShutdown(server) {
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
export function exitWithParent(name) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      console.error(`[${name}] parent process exited; stopping`);
      (stopping ?? process.exit)(0);
    }
  }, PARENT_CHECK_MS).unref();
}

// A start-up error is one line naming the launcher, and exit code 1.
export function runMain(name, main) {
  main().catch(async (error) => {
    const message = error instanceof StartupError ? error.message : (error?.stack ?? String(error));
    console.error(`${name}: ${message}`);
    if (stopping) await stopping(1);
    process.exit(1);
  });
}
