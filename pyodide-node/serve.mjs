#!/usr/bin/env node
// pyodide-node: serves a Python Worker folder offline, under Pyodide in Node, with wrangler's local bindings.
import http from "node:http";
import module from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { readWorkerConfig, StartupError } from "./config.mjs";
import { createEntrypointHelper } from "./entrypoint-helper.mjs";
import { listen, statusLine, toWebRequest, writeInternalError, writeWebResponse } from "./http-bridge.mjs";
import { startPlatform } from "./platform.mjs";
import { loadWorker, pyodideVersion, startPython } from "./python.mjs";

// Caches V8 bytecode of wrangler's 15 MB bundle (in the OS temp folder): a faster start.
module.enableCompileCache?.();

const USAGE =
  "usage: node serve.mjs --worker-dir DIR --port PORT [--ip 127.0.0.1] --persist-to STATE " +
  "[--snapshot-dir DIR] [--no-snapshot]";
const OPTIONS = {
  "worker-dir": { type: "string" },
  port: { type: "string" },
  ip: { type: "string", default: "127.0.0.1" },
  "persist-to": { type: "string" },
  "snapshot-dir": { type: "string" },
  "no-snapshot": { type: "boolean", default: false },
};
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
  const defaultSnapshotDir = path.join(workerDir, ".wrangler", "pyodide-node-snapshots");
  return {
    workerDir,
    port,
    ip: values.ip,
    stateDir: path.resolve(values["persist-to"]),
    snapshotDir: values["no-snapshot"] ? null : path.resolve(values["snapshot-dir"] ?? defaultSnapshotDir),
  };
}

// /status reports navigator.userAgent as the runtime, as workerd's "Cloudflare-Workers" does.
function overrideNavigator() {
  const userAgent = `pyodide-node/${pyodideVersion} (Node.js ${process.version})`;
  const { hardwareConcurrency, language, languages, platform } = globalThis.navigator;
  const navigator = { userAgent, hardwareConcurrency, language, languages, platform };
  Object.defineProperty(globalThis, "navigator", { value: navigator, configurable: true, enumerable: true });
}

function createRequestHandler(workerReady, listeningAt) {
  return async (req, res) => {
    const started = performance.now();
    let status;
    try {
      const worker = await workerReady;
      const response = await worker.fetch(toWebRequest(req, listeningAt()));
      if (!(response instanceof Response)) throw new TypeError("the worker's fetch did not return a Response");
      status = response.status;
      await writeWebResponse(res, response, req.method === "HEAD");
    } catch (error) {
      status = 500;
      console.error(describeError(error));
      writeInternalError(res);
    }
    const elapsed = Math.round(performance.now() - started);
    log(`[pyodide-node] ${req.method} ${req.url} ${statusLine(status)} (${elapsed}ms)`);
  };
}

function hostAndPort({ address, port }) {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

// A Python exception's message is its full traceback; a JavaScript error gets its name prefixed.
function describeError(error) {
  if (error?.constructor?.name === "PythonError") return error.message;
  return `[pyodide-node] ${error?.name ?? "Error"}: ${error?.message ?? error}`;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const config = readWorkerConfig(options.workerDir);
  overrideNavigator();

  let resolveWorker;
  const workerReady = new Promise((resolve) => (resolveWorker = resolve));
  const listeningAt = () => hostAndPort(server.address());
  const server = http.createServer(createRequestHandler(workerReady, listeningAt));
  // Listening first makes a taken port fail at once; requests wait until the worker is ready.
  await listen(server, options.port, options.ip);
  const helper = createEntrypointHelper(config.workerDir);
  const pythonStarting = startPython({ config, helper, snapshotDir: options.snapshotDir, log });
  const platformStarting = startPlatform(config, options.stateDir);
  platformStarting.catch(() => {});
  installShutdown(server, platformStarting);
  const bootstrap = await pythonStarting;
  const platform = await platformStarting;
  helper.cloudflareWorkersModule.env = platform.env;
  const worker = loadWorker(bootstrap, config, platform.env);
  resolveWorker(worker);
  log(`Ready on http://${listeningAt()} (pyodide-node, Python ${worker.pythonVersion}, Pyodide ${pyodideVersion})`);
}

let stopping = null;

function installShutdown(server, platformStarting) {
  let exiting = false;
  stopping = async (exitCode) => {
    if (exiting) return;
    exiting = true;
    server.close();
    server.closeAllConnections();
    try {
      const platform = await platformStarting;
      await platform.dispose();
    } catch {
      // The platform never started: nothing to dispose.
    }
    process.exit(exitCode);
  };
  // `on`, not `once`: a handler that stays registered keeps wrangler's exit hook from re-raising
  // the signal (and killing us) before dispose() has stopped workerd.
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stopping(0));
}

process.on("unhandledRejection", (reason) => console.error("[pyodide-node] unhandled rejection:", reason));

main().catch(async (error) => {
  const message = error instanceof StartupError ? error.message : (error?.stack ?? String(error));
  console.error(`pyodide-node: ${message}`);
  if (stopping) await stopping(1);
  process.exit(1);
});
