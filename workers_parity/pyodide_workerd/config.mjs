// Reads a Python Worker folder with wrangler's own config reader: name, main, compatibility date and flags,
// bindings and vars, as miniflare worker options.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { packageRequire as require } from "./packages.mjs";

export class StartupError extends Error {}

// Flags that belong to workerd's own Python support: passed to Python, not to workerd (which would then try
// to download its Pyodide bundle).
const PYTHON_ONLY_FLAGS = new Set(["python_workers", "python_workers_development"]);

export function readWorkerConfig(workerDir) {
  const configPath = path.join(workerDir, "wrangler.jsonc");
  if (!fs.existsSync(configPath)) throw new StartupError(`no wrangler.jsonc in ${workerDir}`);
  const { config, workerOptions } = cachedWranglerReading(workerDir, configPath);
  const mainPath = checkedMain(config, workerDir, configPath);
  const pythonModulesDir = path.join(workerDir, "python_modules");
  if (!fs.existsSync(pythonModulesDir)) {
    throw new StartupError(
      `no python_modules/ in ${workerDir} (install workers-runtime-sdk and the worker's packages there)`,
    );
  }
  const flags = config.compatibility_flags ?? [];
  return {
    workerDir,
    configPath,
    name: config.name ?? path.basename(workerDir),
    main: path.relative(workerDir, mainPath),
    srcDir: path.dirname(mainPath),
    mainModule: path.basename(mainPath, ".py"),
    pythonModulesDir,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: flags.filter((flag) => !PYTHON_ONLY_FLAGS.has(flag)),
    pythonFlags: flags.filter((flag) => PYTHON_ONLY_FLAGS.has(flag)),
    bindingOptions: bindingOptions(workerOptions),
  };
}

function checkedMain(config, workerDir, configPath) {
  if (typeof config.main !== "string" || config.main === "") {
    throw new StartupError(`${configPath} has no "main" entry module`);
  }
  const mainPath = path.resolve(workerDir, config.main);
  if (!mainPath.endsWith(".py")) throw new StartupError(`"main" must name a .py module, got ${config.main}`);
  if (!fs.existsSync(mainPath)) throw new StartupError(`entry module ${config.main} does not exist in ${workerDir}`);
  return mainPath;
}

// The worker options that describe bindings and vars; the modules, compatibility settings and rules are the host's.
function bindingOptions(workerOptions) {
  const { rootPath, compatibilityDate, compatibilityFlags, modulesRules, modules, ...bindings } = workerOptions;
  return bindings;
}

// Loading wrangler takes most of a second, so what it reads from a config is kept, keyed by everything it reads.
const CONFIG_INPUTS = ["wrangler.jsonc", ".dev.vars", ".env"];

function cachedWranglerReading(workerDir, configPath) {
  const hash = crypto.createHash("sha256").update(require("wrangler/package.json").version);
  for (const name of CONFIG_INPUTS) {
    const file = path.join(workerDir, name);
    hash.update(`\0${name}\0`).update(fs.existsSync(file) ? fs.readFileSync(file) : "");
  }
  const cacheFile = path.join(
    workerDir,
    ".wrangler",
    "pyodide-workerd",
    `config-${hash.digest("hex").slice(0, 24)}.json`,
  );
  try {
    return JSON.parse(fs.readFileSync(cacheFile, "utf8"));
  } catch {
    const reading = readWithWrangler(configPath);
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    for (const stale of fs.readdirSync(path.dirname(cacheFile))) {
      if (stale.startsWith("config-")) fs.rmSync(path.join(path.dirname(cacheFile), stale), { force: true });
    }
    fs.writeFileSync(cacheFile, JSON.stringify(reading));
    return reading;
  }
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
