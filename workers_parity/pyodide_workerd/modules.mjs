// What the host worker is made of: its own modules, Pyodide's files, the runtime's Python files and the worker's
// src/ and python_modules/, as the module list miniflare gives workerd.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { packageRequire } from "./packages.mjs";

const RUNTIME_DIR = path.dirname(fileURLToPath(import.meta.url));
const HOST_DIR = path.join(RUNTIME_DIR, "host");
const PYTHON_DIR = path.join(RUNTIME_DIR, "python");
const PYODIDE_DIR = path.dirname(packageRequire.resolve("pyodide/package.json"));
const PYODIDE_FILES = {
  "pyodide.mjs": "ESModule",
  "pyodide.asm.mjs": "ESModule",
  "pyodide.asm.wasm": "CompiledWasm",
  "python_stdlib.zip": "Data",
  "pyodide-lock.json": "Text",
};
const SKIPPED = new Set(["__pycache__", "node_modules", ".wrangler", ".venv"]);

// The module list for one start: `mode` is "snapshot" (answer with a memory snapshot) or "serve".
export function hostModules({ config, mode, snapshot, preload }) {
  const groups = {
    runtime: listFiles(PYTHON_DIR),
    python_modules: listFiles(config.pythonModulesDir),
    src: listFiles(config.srcDir).filter((file) => !file.split(path.sep)[0].startsWith("python_modules")),
  };
  const roots = { runtime: PYTHON_DIR, python_modules: config.pythonModulesDir, src: config.srcDir };
  const modules = [
    ...hostFiles().map((name) => module("ESModule", name, path.join(HOST_DIR, name))),
    ...Object.entries(PYODIDE_FILES).map(([name, type]) =>
      module(type, `pyodide/${name}`, path.join(PYODIDE_DIR, name)),
    ),
  ];
  const index = {};
  for (const [group, files] of Object.entries(groups)) {
    index[group] = files.map((file) => `files/${group}/${toPosix(file)}`);
    for (const file of files)
      modules.push(module("Data", `files/${group}/${toPosix(file)}`, path.join(roots[group], file)));
  }
  modules.push(generated("files.mjs", filesModule(index)));
  modules.push(generated("setup.mjs", setupModule({ config, mode, snapshot, preload })));
  if (snapshot) modules.push({ type: "Data", path: moduleName("snapshot.bin"), contents: snapshot });
  return modules;
}

// The main module comes first: workerd runs the first module of the list.
function hostFiles() {
  const names = fs.readdirSync(HOST_DIR).filter((name) => name.endsWith(".mjs"));
  return ["host.mjs", ...names.filter((name) => name !== "host.mjs").sort()];
}

function module(type, name, file) {
  return { type, path: moduleName(name), contents: fs.readFileSync(file) };
}

function generated(name, source) {
  return { type: "ESModule", path: moduleName(name), contents: source };
}

// miniflare wants absolute module paths under `modulesRoot`; they only name modules, nothing is read from them.
export const MODULES_ROOT = "/pyodide-workerd";

function moduleName(name) {
  return path.posix.join(MODULES_ROOT, name);
}

// files.mjs: { group: { relative path: ArrayBuffer } }, one static import per file.
function filesModule(index) {
  const imports = [];
  const groups = Object.entries(index).map(([group, names]) => {
    const entries = names.map((name) => {
      const variable = `file${imports.length}`;
      imports.push(`import ${variable} from ${JSON.stringify(`./${name}`)};`);
      return `    ${JSON.stringify(name.slice(`files/${group}/`.length))}: ${variable},`;
    });
    return `  ${JSON.stringify(group)}: {\n${entries.join("\n")}\n  },`;
  });
  return `${imports.join("\n")}\nexport default {\n${groups.join("\n")}\n};\n`;
}

function setupModule({ config, mode, snapshot, preload }) {
  const values = {
    mode,
    mainModule: config.mainModule,
    pythonFlags: config.pythonFlags,
    preload,
    versions: { pyodide: packageVersion("pyodide"), workerd: packageVersion("workerd") },
  };
  const snapshotImport = snapshot ? 'import snapshot from "./snapshot.bin";\n' : "const snapshot = null;\n";
  return `${snapshotImport}export default { ...${JSON.stringify(values)}, snapshot };\n`;
}

function packageVersion(name) {
  return packageRequire(`${name}/package.json`).version;
}

function listFiles(dir) {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(path.sep).some((part) => SKIPPED.has(part)))
    .sort();
}

function toPosix(file) {
  return file.split(path.sep).join("/");
}
