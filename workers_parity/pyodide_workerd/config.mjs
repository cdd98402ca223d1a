// Reads a Python Worker folder with wrangler's own config reader (wrangler.jsonc, wrangler.json or wrangler.toml):
// name, main, compatibility date and flags, bindings and vars, as miniflare worker options.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { packageRequire as require } from "./packages.mjs";

export class StartupError extends Error {}

export const CONFIG_NAMES = ["wrangler.jsonc", "wrangler.json", "wrangler.toml"]; // wrangler's own preference
// Flags that belong to workerd's own Python support: passed to Python, not to workerd (which would then try
// to download its Pyodide bundle).
const PYTHON_ONLY_FLAGS = new Set(["python_workers", "python_workers_development"]);
// Options that describe the worker's code or its place in a dev session, not its bindings: the host sets them.
const NOT_BINDINGS = [
  "rootPath",
  "compatibilityDate",
  "compatibilityFlags",
  "modulesRules",
  "modules",
  "name",
  "routes",
  "unsafeDirectSockets",
];

export function readWorkerConfig(workerDir) {
  const configPath = configFile(workerDir);
  const { config, workerOptions } = cachedWranglerReading(workerDir, configPath);
  const mainPath = checkedMain(config, workerDir, configPath, PYTHON_MAIN);
  const flags = config.compatibility_flags ?? [];
  const compatibilityDate = supportedDate(config.compatibility_date);
  return {
    workerDir,
    configPath,
    name: config.name ?? path.basename(workerDir),
    main: path.relative(workerDir, mainPath),
    mainPath,
    srcDir: path.dirname(mainPath),
    mainModule: path.basename(mainPath, ".py"),
    pythonModulesDir: path.join(workerDir, "python_modules"),
    compatibilityDate,
    compatibilityFlags: hostFlags(flags, compatibilityDate),
    pythonFlags: pythonFlags(flags, compatibilityDate),
    bindingOptions: bindingOptions(workerOptions),
    classNames: entrypointClassNames(workerOptions, config.name),
  };
}

// What workerd implies from `python_workers` (its compatibility-date.capnp: $impliedByAfterDate), which it never
// sees here: name, implied by, from date, the flag that turns it off.
const IMPLIED_BY_PYTHON = [
  ["python_workflows", "python_workers", "2025-09-20", "disable_python_workflows"],
  ["python_workers_20250116", "python_workers", "2025-09-29", "no_python_workers_20250116"],
  ["python_dedicated_snapshot", "python_workers_20250116", "2025-10-16", "disable_python_dedicated_snapshot"],
  [
    "python_workflows_implicit_dependencies",
    "python_workers",
    "2026-02-25",
    "no_python_workflows_implicit_dependencies",
  ],
];

// The flags Python is told of but workerd is not: `python_workers` and what workerd would imply from it.
function pythonFlags(flags, compatibilityDate) {
  const enabled = new Set(flags.filter((flag) => PYTHON_ONLY_FLAGS.has(flag) || flag.startsWith("python_")));
  for (const [flag, impliedBy, since, disabledBy] of IMPLIED_BY_PYTHON) {
    if (enabled.has(impliedBy) && compatibilityDate >= since && !flags.includes(disabledBy)) enabled.add(flag);
  }
  return [...enabled].sort();
}

// workerd compiles WebAssembly at start-up only from 2025-06-01 on (allow_eval_during_startup); its own Python
// compiles through an internal binding at any date, so the host, standing in for it, gets the flag.
const STARTUP_COMPILATION_DATE = "2025-06-01";

function hostFlags(flags, compatibilityDate) {
  const forWorkerd = flags.filter((flag) => !PYTHON_ONLY_FLAGS.has(flag));
  const compiles = compatibilityDate >= STARTUP_COMPILATION_DATE || forWorkerd.includes("allow_eval_during_startup");
  if (forWorkerd.includes("disallow_eval_during_startup")) {
    throw new StartupError(
      "disallow_eval_during_startup: pyodide-workerd compiles Pyodide's WebAssembly at start-up; remove the flag",
    );
  }
  return compiles ? forWorkerd : [...forWorkerd, "allow_eval_during_startup"];
}

export function configFile(workerDir) {
  if (!fs.existsSync(workerDir)) throw new StartupError(`no such folder: ${workerDir}`);
  const found = CONFIG_NAMES.map((name) => path.join(workerDir, name)).find((file) => fs.existsSync(file));
  if (!found) throw new StartupError(`no wrangler config in ${workerDir} (looked for ${CONFIG_NAMES.join(", ")})`);
  return found;
}

const PYTHON_MAIN = { extension: /\.py$/, named: "a .py module" };

// The config's `main` as an absolute path, resolved against the worker folder (where configFile finds the config):
// it must be given, end as the host needs (`extension`, which the error calls `named`) and exist.
export function checkedMain(config, workerDir, configPath, { extension, named }) {
  if (typeof config.main !== "string" || config.main === "") {
    throw new StartupError(`${configPath} has no "main" entry module`);
  }
  const mainPath = path.resolve(workerDir, config.main);
  if (!extension.test(mainPath)) throw new StartupError(`"main" must name ${named}, got ${config.main}`);
  if (!fs.existsSync(mainPath)) throw new StartupError(`entry module ${config.main} does not exist in ${workerDir}`);
  return mainPath;
}

// As under wrangler dev: no date is the newest workerd supports, and a newer one falls back to it, said once.
export function supportedDate(requested) {
  const newest = require("workerd").compatibilityDate;
  if (requested && requested <= newest) return requested;
  if (requested) {
    console.warn(
      `[pyodide-workerd] compatibility date ${requested} is newer than this workerd supports: running with ${newest}`,
    );
  }
  return newest;
}

export function bindingOptions(workerOptions) {
  const bindings = { ...workerOptions };
  for (const key of NOT_BINDINGS) delete bindings[key];
  return bindings;
}

// The classes the config names (Durable Objects, Workflows, entrypoints of service bindings to this worker):
// the host must export them whatever the main module's source looks like.
function entrypointClassNames(workerOptions, workerName) {
  const names = new Set();
  for (const binding of Object.values(workerOptions.durableObjects ?? {})) {
    const className = typeof binding === "string" ? binding : binding.className;
    if (className && !binding.scriptName) names.add(className);
  }
  for (const workflow of Object.values(workerOptions.workflows ?? {})) {
    if (workflow.className && !workflow.scriptName) names.add(workflow.className);
  }
  for (const service of Object.values(workerOptions.serviceBindings ?? {})) {
    const selfBound = service?.name === workerName || service?.name === Symbol.for("miniflare.kCurrentWorker");
    if (selfBound && service.entrypoint) names.add(service.entrypoint);
  }
  return [...names];
}

// Loading wrangler takes most of a second, so what it reads from a config is kept, keyed by everything it reads
// and by the folder itself: the reading holds absolute paths, and a copied folder brings its .wrangler/ along.
const CONFIG_INPUTS = [...CONFIG_NAMES, ".dev.vars", ".env"];

export function cachedWranglerReading(workerDir, configPath) {
  const hash = crypto.createHash("sha256").update(`${require("wrangler/package.json").version}\0${workerDir}`);
  for (const name of CONFIG_INPUTS) {
    const file = path.join(workerDir, name);
    hash.update(`\0${name}\0`).update(fs.existsSync(file) ? fs.readFileSync(file) : "\0missing");
  }
  const cacheDir = path.join(workerDir, ".wrangler", "pyodide-workerd");
  const cacheFile = path.join(cacheDir, `config-${hash.digest("hex").slice(0, 24)}.json`);
  try {
    return JSON.parse(fs.readFileSync(cacheFile, "utf8"));
  } catch {
    const reading = readWithWrangler(configPath);
    saveReading(cacheDir, cacheFile, reading);
    return reading;
  }
}

// A folder we cannot write to still runs; it just reads its config again next time.
function saveReading(cacheDir, cacheFile, reading) {
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    for (const stale of fs.readdirSync(cacheDir)) {
      if (stale.startsWith("config-")) fs.rmSync(path.join(cacheDir, stale), { force: true });
    }
    fs.writeFileSync(cacheFile, JSON.stringify(reading));
  } catch {}
}

function readWithWrangler(configPath) {
  const wrangler = require("wrangler");
  try {
    const config = wrangler.unstable_readConfig({ config: configPath }, { hideWarnings: true });
    const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(config);
    const { name, main, compatibility_date, compatibility_flags } = config;
    return { config: { name, main, compatibility_date, compatibility_flags }, workerOptions };
  } catch (error) {
    throw new StartupError(`cannot read ${configPath}: ${error.message}`);
  }
}
