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
    return JSON.parse(removeTrailingCommas(removeComments(text)));
  } catch (error) {
    throw new StartupError(`cannot parse ${fileName}: ${error.message}`);
  }
}

// Walks the text once so that "//" or "/*" inside strings stay untouched.
function removeComments(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (ch === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 1;
      out += " ";
    } else {
      out += ch;
    }
  }
  return out;
}

function removeTrailingCommas(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (ch === "," && isFollowedByClosingBracket(text, i + 1)) {
      continue;
    } else {
      out += ch;
    }
  }
  return out;
}

function isFollowedByClosingBracket(text, index) {
  const closing = /\s*[}\]]/y;
  closing.lastIndex = index;
  return closing.test(text);
}

function endOfString(text, start) {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i + 1;
}
