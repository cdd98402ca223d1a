// `serve.mjs --host wrangler-dev`: the same host (its module list, the snapshot) served by `wrangler dev` instead of
// a workerd of the launcher's own, so that a Python worker runs behind the tool JavaScript workers run behind:
// wrangler's Node process and its proxy worker. The modules are written to a folder under the worker's .wrangler/
// with a wrangler.json that names each one's type and carries the worker's own config (bindings, vars), served as
// `wrangler dev --no-bundle` serves modules (so without the request-draining middleware wrangler's bundler adds).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { MODULES_ROOT } from "./modules.mjs";
import { packageRequire as require } from "./packages.mjs";

const SECRET_FILES = [".dev.vars", ".env"];
const GLOB_SPECIAL = /[*?[\]{}!]/g;

// Writes the module list and wrangler.json into `dir` (replacing what an earlier start wrote); returns the config.
export function writeWranglerFolder(config, modules, dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  const globs = {};
  for (const module of modules) {
    const name = path.posix.relative(MODULES_ROOT, module.path);
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, module.contents);
    (globs[module.type] ??= []).push(name.replace(GLOB_SPECIAL, "\\$&"));
  }
  for (const secrets of SECRET_FILES) {
    const source = path.join(config.workerDir, secrets);
    if (fs.existsSync(source)) fs.copyFileSync(source, path.join(dir, secrets));
  }
  const configPath = path.join(dir, "wrangler.json");
  fs.writeFileSync(configPath, JSON.stringify(wranglerConfig(config, globs), null, 2));
  return configPath;
}

// The worker's own config, its paths made absolute, with the generated main module and the modules' types.
function wranglerConfig(config, globs) {
  const { rawConfig } = require("wrangler").experimental_readRawConfig({ config: config.configPath });
  const { $schema, ...own } = rawConfig;
  const rules = Object.entries(globs).map(([type, names]) => ({ type, globs: names, fallthrough: false }));
  return {
    ...withAbsolutePaths(own, path.dirname(config.configPath)),
    main: "main.mjs",
    compatibility_flags: config.compatibilityFlags, // without python_workers: workerd would fetch its own Pyodide
    no_bundle: true,
    find_additional_modules: true,
    base_dir: ".",
    rules,
  };
}

function withAbsolutePaths(own, base) {
  const absolute = (value) => (typeof value === "string" ? path.resolve(base, value) : value);
  const d1 = own.d1_databases?.map((db) => ({ ...db, migrations_dir: absolute(db.migrations_dir ?? "migrations") }));
  const assets = own.assets ? { ...own.assets, directory: absolute(own.assets.directory) } : undefined;
  return { ...own, ...(d1 ? { d1_databases: d1 } : {}), ...(assets ? { assets } : {}) };
}

// `wrangler dev` in that folder, as the harness starts it for JavaScript workers; its output is this launcher's.
export function runWranglerDev(configPath, options) {
  const wrangler = path.join(path.dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  const args = ["dev", "--config", configPath, "--port", String(options.port), "--ip", options.ip];
  args.push("--persist-to", options.stateDir, "--show-interactive-dev-session=false");
  if (options.inspectorPort) args.push("--inspector-port", options.inspectorPort);
  const child = spawn(process.execPath, [wrangler, ...args], { cwd: path.dirname(configPath), stdio: "inherit" });
  child.on("error", (error) => {
    console.error(`pyodide-workerd: wrangler dev did not start: ${error.message}`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
  return { dispose: () => stop(child) };
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  return exited;
}
