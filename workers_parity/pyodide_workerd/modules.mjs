// What the host worker is made of, as the module list miniflare gives workerd: the generated main module, the
// host's own modules, Pyodide's files, the runtime's Python files, the worker's src/ and python_modules/ (Data),
// their native libraries (CompiledWasm, see host/dynlibs.mjs) and their JavaScript modules.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mainModuleSource } from "./exports.mjs";
import { packageRequire } from "./packages.mjs";

const RUNTIME_DIR = path.dirname(fileURLToPath(import.meta.url));
const HOST_DIR = path.join(RUNTIME_DIR, "host");
const PYTHON_DIR = path.join(RUNTIME_DIR, "python");
const PYODIDE_FILES = {
  "pyodide.mjs": "ESModule",
  "pyodide.asm.wasm": "CompiledWasm",
  "python_stdlib.zip": "Data",
  "pyodide-lock.json": "Text",
};
const SKIPPED = new Set(["__pycache__", "node_modules", ".wrangler", ".venv", ".venv-workers", ".git"]);
const NATIVE_LIBRARY = /\.so(\.\d+)*$/;
// JavaScript the worker's Python may import (`import_from_javascript`): its own, and the Workers SDK's.
const JS_MODULES = { src: /\.m?js$/, python_modules: /^workers\/[^/]+\.m?js$/ };

// miniflare wants absolute module paths under `modulesRoot`; they only name modules, nothing is read from them.
export const MODULES_ROOT = "/pyodide-workerd";

// The module list for one start: `mode` is "snapshot" (answer with a memory snapshot) or "serve".
export function hostModules(settings) {
  const { config, mode, snapshot, exportNames, pyodidePackage } = settings;
  const roots = { runtime: PYTHON_DIR, python_modules: config.pythonModulesDir, src: config.srcDir };
  const groups = {
    runtime: filesOf(PYTHON_DIR),
    python_modules: filesOf(config.pythonModulesDir),
    src: filesOf(config.srcDir).filter((file) => !file.split(path.sep)[0].startsWith("python_modules")),
  };
  const pyodideDir = path.dirname(packageRequire.resolve(`${pyodidePackage}/package.json`));
  const modules = [
    generated("main.mjs", mainModuleSource(mode === "snapshot" ? [] : exportNames)),
    ...hostFiles().map((name) => fileModule("ESModule", name, path.join(HOST_DIR, name))),
    ...Object.entries(PYODIDE_FILES).map(([name, type]) =>
      fileModule(type, `pyodide/${name}`, path.join(pyodideDir, name)),
    ),
    emscriptenModule(pyodideDir),
  ];
  const index = {};
  const libraries = [];
  for (const [group, files] of Object.entries(groups)) {
    index[group] = files.map((file) => `files/${group}/${toPosix(file)}`);
    for (const file of files) {
      const name = `files/${group}/${toPosix(file)}`;
      const contents = fs.readFileSync(path.join(roots[group], file));
      modules.push({ type: "Data", path: moduleName(name), contents });
      if (NATIVE_LIBRARY.test(file) && isWebAssembly(contents)) {
        modules.push({ type: "CompiledWasm", path: moduleName(`${name}.wasm`), contents });
        libraries.push(name);
      }
      if (JS_MODULES[group]?.test(toPosix(file))) {
        const importName = group === "src" ? toPosix(file) : `python_modules/${toPosix(file)}`;
        modules.push({ type: "ESModule", path: moduleName(importName), contents });
      }
    }
  }
  modules.push(generated("files.mjs", filesModule(index, libraries)));
  modules.push(generated("setup.mjs", setupModule({ ...settings, pyodideDir })));
  if (snapshot) modules.push({ type: "Data", path: moduleName("snapshot.bin"), contents: snapshot.bytes });
  return modules;
}

function isWebAssembly(contents) {
  return contents.subarray(0, 4).equals(WASM_MAGIC);
}

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

// Pyodide's Emscripten module: an ES module since 314; before, a script that sets a global, made a module here.
function emscriptenModule(pyodideDir) {
  const moduleFile = path.join(pyodideDir, "pyodide.asm.mjs");
  if (fs.existsSync(moduleFile)) return fileModule("ESModule", "pyodide/pyodide.asm.mjs", moduleFile);
  const script = fs.readFileSync(path.join(pyodideDir, "pyodide.asm.js"), "utf8");
  return generated("pyodide/pyodide.asm.mjs", `${script}\nexport default globalThis._createPyodideModule;\n`);
}

function hostFiles() {
  return fs
    .readdirSync(HOST_DIR)
    .filter((name) => name.endsWith(".mjs"))
    .sort();
}

function fileModule(type, name, file) {
  return { type, path: moduleName(name), contents: fs.readFileSync(file) };
}

function generated(name, source) {
  return { type: "ESModule", path: moduleName(name), contents: source };
}

function moduleName(name) {
  return path.posix.join(MODULES_ROOT, name);
}

// files.mjs: { group: { relative path: ArrayBuffer } } plus the native libraries, one static import per module.
function filesModule(index, libraries) {
  const imports = [];
  const variableFor = (name) => {
    const variable = `module${imports.length}`;
    imports.push(`import ${variable} from ${JSON.stringify(`./${name}`)};`);
    return variable;
  };
  const groups = Object.entries(index).map(([group, names]) => {
    const entries = names.map(
      (name) => `    ${JSON.stringify(name.slice(`files/${group}/`.length))}: ${variableFor(name)},`,
    );
    return `  ${JSON.stringify(group)}: {\n${entries.join("\n")}\n  },`;
  });
  const compiled = libraries.map(
    (name) => `    { bytes: ${variableFor(name)}, module: ${variableFor(`${name}.wasm`)} },`,
  );
  return `${imports.join("\n")}\nexport default {\n${groups.join("\n")}\n  libraries: [\n${compiled.join("\n")}\n  ],\n};\n`;
}

function setupModule({ config, mode, snapshot, preload, pyodideDir, routes, timings, requestLog = true }) {
  const values = {
    mode,
    snapshotLibraries: snapshot?.libraries ?? [],
    mainModule: config.mainModule,
    pythonFlags: config.pythonFlags,
    preload,
    testScheduled: Boolean(routes?.testScheduled),
    testHandler: Boolean(routes?.testHandler),
    timings: Boolean(timings),
    requestLog, // false under wrangler dev, which logs requests itself
    versions: {
      pyodide: versionOf(pyodideDir),
      workerd: versionOf(path.dirname(packageRequire.resolve("workerd/package.json"))),
    },
  };
  const snapshotImport = snapshot ? 'import snapshot from "./snapshot.bin";\n' : "const snapshot = null;\n";
  return `${snapshotImport}export default { ...${JSON.stringify(values)}, snapshot };\n`;
}

function versionOf(packageDir) {
  return JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")).version;
}

// A folder's files for the module list; one that is gone (python_modules/ deleted before a reload) has none.
function filesOf(dir) {
  return fs.existsSync(dir) ? listFiles(dir, (part) => SKIPPED.has(part)) : [];
}

// Every file under `dir` as a path relative to it, sorted; a path with a part (folder or file name) that
// `skipped(part)` is true for is left out.
export function listFiles(dir, skipped = () => false) {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .filter((file) => !file.split(path.sep).some((part) => skipped(part)))
    .sort();
}

export function toPosix(file) {
  return file.split(path.sep).join("/");
}
