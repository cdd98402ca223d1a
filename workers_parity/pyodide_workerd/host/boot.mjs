// Boots unmodified npm Pyodide inside workerd, from modules bundled with the host (no network, no wasm compile).
import { loadPyodide } from "./pyodide/pyodide.mjs";
import createPyodideModule from "./pyodide/pyodide.asm.mjs";
import pyodideWasm from "./pyodide/pyodide.asm.wasm";
import lockFileText from "./pyodide/pyodide-lock.json";
import stdlibZip from "./pyodide/python_stdlib.zip";
import { restoreGlobals } from "./prelude.mjs";

// A made-up origin: Pyodide resolves its files against it, and the stand-in fetch below answers for it.
const INDEX_URL = "https://pyodide.invalid/";
const BOOT_FILES = { "python_stdlib.zip": stdlibZip, "pyodide.asm.wasm": new ArrayBuffer(0) };

// Boots Pyodide; `options` are loadPyodide's own (_makeSnapshot, _loadSnapshot, _snapshotDeserializer).
export async function bootPyodide(options) {
  installBootFetch();
  try {
    return await loadPyodide({
      ...options,
      indexURL: INDEX_URL,
      lockFileContents: JSON.parse(lockFileText),
      createPyodideModule: instantiatingSynchronously,
      env: { PYTHONDONTWRITEBYTECODE: "1", HOME: "/session" },
      stdout: (line) => console.log(line),
      stderr: (line) => console.error(line),
    });
  } finally {
    restoreGlobals();
  }
}

// workerd compiles wasm only at start-up, where it compiled pyodide.asm.wasm as a CompiledWasm module;
// instantiating an already compiled module synchronously is allowed at any time.
function instantiatingSynchronously(settings) {
  settings.instantiateWasm = (imports, receiveInstance) => {
    addJsvErrorImports(imports);
    const instance = new WebAssembly.Instance(pyodideWasm, imports);
    receiveInstance(instance, pyodideWasm);
    return instance.exports;
  };
  return createPyodideModule(settings);
}

// The JavaScript fallback Pyodide itself uses when its tiny helper module cannot be compiled.
function addJsvErrorImports(imports) {
  const errorMarker = Symbol("error marker");
  imports.env.Jsv_GetError_import = () => errorMarker;
  imports.env.JsvError_Check = (value) => value === errorMarker;
}

// Pyodide fetches its standard library while booting. `pyodide.http` keeps a reference to the global fetch,
// so the stand-in stays installed and passes every other URL to workerd's fetch.
let bootFetchInstalled = false;
function installBootFetch() {
  if (bootFetchInstalled) return;
  bootFetchInstalled = true;
  const workerdFetch = globalThis.fetch;
  globalThis.fetch = function fetch(input, init) {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith(INDEX_URL)) return bootFile(url.slice(INDEX_URL.length));
    return workerdFetch(input, init);
  };
}

async function bootFile(name) {
  const body = BOOT_FILES[name];
  return body ? new Response(body) : new Response(`${name} is not bundled with the host`, { status: 404 });
}
