#!/usr/bin/env node
// pyodide-node: serves a Python Worker folder offline, under Pyodide in Node, with wrangler's local bindings.
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { readWorkerConfig, StartupError } from "./config.mjs";
import { createEntrypointHelper } from "./entrypoint-helper.mjs";
import { listen, statusLine, toWebRequest, writeInternalError, writeWebResponse } from "./http-bridge.mjs";
import { startPlatform } from "./platform.mjs";
import { loadWorker, pyodideVersion, startPython } from "./python.mjs";

const USAGE =
  "usage: node serve.mjs --worker-dir DIR --port PORT [--ip 127.0.0.1] --persist-to STATE " +
  "[--snapshot-dir DIR] [--no-snapshot]";
const log = (message) => console.log(message);

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      "worker-dir": { type: "string" },
      port: { type: "string" },
      ip: { type: "string", default: "127.0.0.1" },
      "persist-to": { type: "string" },
      "snapshot-dir": { type: "string" },
      "no-snapshot": { type: "boolean", default: false },
    },
  });
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
  const navigator = { ...globalThis.navigator, userAgent };
  Object.defineProperty(globalThis, "navigator", { value: navigator, configurable: true, enumerable: true });
}

function createRequestHandler(workerReady, fallbackHost) {
  return async (req, res) => {
    const started = performance.now();
    let status;
    try {
      const worker = await workerReady;
      const response = await worker.fetch(toWebRequest(req, fallbackHost));
      if (!(response instanceof Response)) throw new TypeError("the worker's fetch did not return a Response");
      status = response.status;
      await writeWebResponse(res, response, req.method === "HEAD");
    } catch (error) {
      status = 500;
      console.error(error?.message ?? error);
      writeInternalError(res);
    }
    const elapsed = Math.round(performance.now() - started);
    log(`[pyodide-node] ${req.method} ${req.url} ${statusLine(status)} (${elapsed}ms)`);
  };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const config = readWorkerConfig(options.workerDir);
  overrideNavigator();

  let resolveWorker;
  const workerReady = new Promise((resolve) => (resolveWorker = resolve));
  const server = http.createServer(createRequestHandler(workerReady, `${options.ip}:${options.port}`));
  // Listening first makes a taken port fail at once; requests wait until the worker is ready.
  await listen(server, options.port, options.ip);
  const platformStarting = startPlatform(config, options.stateDir);
  platformStarting.catch(() => {});
  installShutdown(server, platformStarting);
  const helper = createEntrypointHelper(config.workerDir);
  const T = (m) => console.error(`T ${Math.round(performance.now())} ${m}`); T("listening"); platformStarting.then(() => T("platform"));
  const bootstrap = await startPython({ config, helper, snapshotDir: options.snapshotDir, log });
  T("python");
  const platform = await platformStarting;
  helper.cloudflareWorkersModule.env = platform.env;
  const worker = loadWorker(bootstrap, config, platform.env);
  resolveWorker(worker); T("entry loaded");
  log(
    `Ready on http://${options.ip}:${server.address().port} ` +
      `(pyodide-node, Python ${worker.pythonVersion}, Pyodide ${pyodideVersion})`,
  );
}

let stopping = null;

function installShutdown(server, platformStarting) {
  stopping = async (exitCode) => {
    server.close();
    server.closeAllConnections();
    try {
      T("python");
  const platform = await platformStarting;
      await platform.dispose();
    } catch {
      // The platform never started: nothing to dispose.
    }
    process.exit(exitCode);
  };
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => stopping(0));
}

process.on("unhandledRejection", (reason) => console.error("[pyodide-node] unhandled rejection:", reason));

main().catch(async (error) => {
  const message = error instanceof StartupError ? error.message : error?.stack ?? String(error);
  console.error(`pyodide-node: ${message}`);
  if (stopping) await stopping(1);
  process.exit(1);
});
