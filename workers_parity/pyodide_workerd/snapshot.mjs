// The on-disk cache of Pyodide memory snapshots: what goes into one, its key, and stale-file cleanup.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { listFiles } from "./modules.mjs";

const RUNTIME_DIR = path.dirname(fileURLToPath(import.meta.url));
const SNAPSHOT_PREFIX = "snapshot-";
const ALWAYS_PRELOADED = ["workers"];
const NOT_WORKER_SOURCES = new Set(["python_modules", "node_modules", "__pycache__"]);

// The modules a snapshot imports: the SDK plus every module-level import in the worker's own
// source that is not one of the worker's own modules.
export function modulesToPreload(srcDir) {
  const sources = listFiles(srcDir).filter((file) => file.endsWith(".py") && isWorkerSource(file));
  const localNames = new Set(fs.readdirSync(srcDir).map((entry) => entry.replace(/\.py$/, "")));
  const imported = sources.flatMap((file) => moduleLevelImports(fs.readFileSync(path.join(srcDir, file), "utf8")));
  const packages = imported.filter((name) => !localNames.has(name.split(".")[0]));
  return [...new Set([...ALWAYS_PRELOADED, ...packages])].sort();
}

// A main module at the top of the worker folder puts python_modules/, .venv/ … under srcDir too.
function isWorkerSource(file) {
  return !file.split(path.sep).some((part) => part.startsWith(".") || NOT_WORKER_SOURCES.has(part));
}

// `from pkg import name` also yields "pkg.name?": preloaded only if that is a submodule.
function moduleLevelImports(source) {
  const names = [];
  for (const line of source.split("\n")) {
    const fromImport = /^from\s+(\w[\w.]*)\s+import\s+\(?([\w\s,]*)/.exec(line);
    const plainImport = /^import\s+([\w.,\s]+?)\s*(#.*)?$/.exec(line);
    if (fromImport) {
      names.push(fromImport[1], ...importedNames(fromImport[2]).map((name) => `${fromImport[1]}.${name}?`));
    }
    if (plainImport) names.push(...importedNames(plainImport[1]));
  }
  return names;
}

function importedNames(list) {
  return list
    .split(",")
    .map((part) => part.trim().split(/\s+as\s+/)[0])
    .filter(Boolean);
}

// Everything that changes the memory image: Pyodide, the runtime's own code, the interpreter
// set-up (flags, preloaded modules) and every file under python_modules (serve.mjs has made sure it exists).
export function snapshotKey({ pyodideVersion, config, preload }) {
  const parts = {
    pyodide: pyodideVersion,
    sdk: sdkVersion(config.pythonModulesDir),
    runtime: hashFiles(RUNTIME_DIR, runtimeSources()),
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: [...config.compatibilityFlags, ...config.pythonFlags].sort(),
    preload,
    pythonModules: hashFiles(config.pythonModulesDir, packageFiles(config.pythonModulesDir), { contents: false }),
  };
  const key = crypto.createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 24);
  return { key, parts };
}

export function sdkVersion(pythonModulesDir) {
  const distInfo = fs.readdirSync(pythonModulesDir).find((name) => /^workers_runtime_sdk-.*\.dist-info$/.test(name));
  return distInfo ? distInfo.slice("workers_runtime_sdk-".length, -".dist-info".length) : null;
}

export function snapshotFile(dir, key) {
  return path.join(dir, `${SNAPSHOT_PREFIX}${key}.bin`);
}

// { bytes, libraries } of a complete snapshot file, or null: missing, cut short or not a snapshot is no snapshot.
export function readSnapshot(file) {
  try {
    const bytes = fs.readFileSync(file);
    const { libraries } = JSON.parse(fs.readFileSync(describingFile(file), "utf8"));
    return isPyodideSnapshot(bytes) && Array.isArray(libraries) ? { bytes, libraries } : null;
  } catch {
    return null;
  }
}

const SNAPSHOT_MAGIC = 1886286592; // Pyodide's, the first 32-bit word of every memory snapshot
const SNAPSHOT_HEADER_BYTES = 48;

function isPyodideSnapshot(bytes) {
  return bytes.length > SNAPSHOT_HEADER_BYTES && bytes.readUInt32LE(0) === SNAPSHOT_MAGIC;
}

function describingFile(file) {
  return file.replace(/\.bin$/, ".json");
}

// Whether dir holds any snapshot: none means a first start, some means their inputs changed since.
export function hasSnapshots(dir) {
  try {
    return fs.readdirSync(dir).some((name) => name.startsWith(SNAPSHOT_PREFIX) && name.endsWith(".bin"));
  } catch {
    return false;
  }
}

// Written under temporary names first, description then bytes, so that a concurrent start never reads half a file.
export function writeSnapshot(file, { bytes, libraries }, parts) {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  writeAtomically(describingFile(file), JSON.stringify({ parts, libraries }, null, 2) + "\n");
  writeAtomically(file, bytes);
  removeStaleSnapshots(dir, path.basename(file, ".bin"));
}

function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
}

function removeStaleSnapshots(dir, keep) {
  for (const name of fs.readdirSync(dir)) {
    const stale = name.startsWith(SNAPSHOT_PREFIX) && !name.startsWith(`${keep}.`) && !name.endsWith(".tmp");
    if (stale) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function runtimeSources() {
  return listFiles(RUNTIME_DIR).filter((file) => /\.(mjs|py)$/.test(file) && !file.startsWith("node_modules"));
}

function packageFiles(dir) {
  return listFiles(dir, (part) => part === "__pycache__");
}

// Package files are identified by path, size and mtime (fast); the runtime's few files by content.
function hashFiles(dir, files, { contents = true } = {}) {
  const hash = crypto.createHash("sha256");
  for (const file of files) {
    const fullPath = path.join(dir, file);
    if (contents) {
      hash.update(`${file}\0`).update(fs.readFileSync(fullPath));
    } else {
      const { size, mtimeMs } = fs.statSync(fullPath);
      hash.update(`${file}\0${size}\0${mtimeMs}\n`);
    }
  }
  return hash.digest("hex");
}
