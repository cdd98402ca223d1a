// Reads a Python Worker folder: wrangler.jsonc, the entry module and its package folder.
import fs from "node:fs";
import path from "node:path";

export class StartupError extends Error {}

// workerd's class names for binding types; the Python SDK wraps bindings by constructor name.
const BINDING_CLASS_NAMES = {
  d1_databases: "D1Database",
  kv_namespaces: "KvNamespace",
  r2_buckets: "R2Bucket",
  services: "Fetcher",
  analytics_engine_datasets: "AnalyticsEngineDataset",
};

export function readWorkerConfig(workerDir) {
  const configPath = path.join(workerDir, "wrangler.jsonc");
  if (!fs.existsSync(configPath)) {
    throw new StartupError(`no wrangler.jsonc in ${workerDir}`);
  }
  const raw = parseJsonc(fs.readFileSync(configPath, "utf8"), configPath);
  if (typeof raw.main !== "string" || raw.main === "") {
    throw new StartupError(`${configPath} has no "main" entry module`);
  }
  if (!raw.main.endsWith(".py")) {
    throw new StartupError(`"main" must name a .py module, got ${raw.main}`);
  }
  const mainPath = path.resolve(workerDir, raw.main);
  if (!fs.existsSync(mainPath)) {
    throw new StartupError(`entry module ${raw.main} does not exist in ${workerDir}`);
  }
  const pythonModulesDir = path.join(workerDir, "python_modules");
  if (!fs.existsSync(pythonModulesDir)) {
    throw new StartupError(
      `no python_modules/ in ${workerDir} (install workers-runtime-sdk and the worker's packages there)`,
    );
  }
  return {
    workerDir,
    configPath,
    name: raw.name ?? path.basename(workerDir),
    main: raw.main,
    srcDir: path.dirname(mainPath),
    mainModule: path.basename(mainPath, ".py"),
    pythonModulesDir,
    compatibilityFlags: raw.compatibility_flags ?? [],
    bindingClassNames: bindingClassNames(raw),
  };
}

function bindingClassNames(raw) {
  const names = new Map();
  for (const [section, className] of Object.entries(BINDING_CLASS_NAMES)) {
    for (const entry of raw[section] ?? []) names.set(entry.binding, className);
  }
  for (const entry of raw.durable_objects?.bindings ?? []) names.set(entry.name, "DurableObjectNamespace");
  for (const entry of raw.queues?.producers ?? []) names.set(entry.binding, "WorkerQueue");
  return names;
}

// Not wrangler's config reader: importing wrangler (a 15 MB bundle) here would delay the Pyodide start that
// otherwise runs while wrangler loads for the bindings.
export function parseJsonc(text, fileName = "JSONC") {
  try {
    return JSON.parse(text.replace(COMMENTS, keepStrings).replace(TRAILING_COMMAS, keepStrings));
  } catch (error) {
    throw new StartupError(`cannot parse ${fileName}: ${error.message}`);
  }
}

// Each pattern also matches whole strings, which are kept, so "//" or "," inside a string stay untouched.
const STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const COMMENTS = new RegExp(String.raw`(${STRING})|//[^\n]*|/\*[\s\S]*?\*/`, "g");
const TRAILING_COMMAS = new RegExp(String.raw`(${STRING})|,(?=\s*[}\]])`, "g");

function keepStrings(match, string) {
  return string ?? " ";
}
