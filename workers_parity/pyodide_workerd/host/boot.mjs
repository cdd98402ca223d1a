// Boots unmodified npm Pyodide inside workerd, at start-up, from modules bundled with the host (no network).
import { loadPyodide } from "./pyodide/pyodide.mjs";
import createPyodideModule from "./pyodide/pyodide.asm.mjs";
import pyodideWasm from "./pyodide/pyodide.asm.wasm";
import lockFileText from "./pyodide/pyodide-lock.json";
import stdlibZip from "./pyodide/python_stdlib.zip";
import { connect } from "cloudflare:sockets";
import { bootFinished, startingUp, startUpRefusal } from "./startup.mjs";

// A made-up origin: Pyodide resolves its files against it, and the stand-in fetch below answers for it.
const INDEX_URL = "https://pyodide.invalid/";
const BOOT_FILES = {
  "python_stdlib.zip": stdlibZip,
  "pyodide.asm.wasm": new ArrayBuffer(0),
  "pyodide-lock.json": new TextEncoder().encode(lockFileText).buffer, // read by Pyodide before 0.27
};
const WASM_PAGE = 65536;

// Boots Pyodide; `options` are loadPyodide's own (_makeSnapshot, _loadSnapshot, _snapshotDeserializer).
// `beforeRestore(Module)` runs just before a snapshot's memory is copied in (dynlibs.mjs reloads the native
// libraries the snapshot had loaded). Resolves to the pyodide API, with the Emscripten module as `_module`.
export async function bootPyodide(options, { beforeRestore } = {}) {
  const pyodide = await loadPyodideHere(options, beforeRestore);
  // Python's sockets (httpx's, for one) over workerd's TCP sockets, as workerd's own Python has them (314 on).
  await pyodide._api.initializeNodeSockFS?.(connect);
  return pyodide;
}

async function loadPyodideHere(options, beforeRestore) {
  installBootFetch();
  const createModule = (settings) => instantiatingSynchronously(settings, beforeRestore);
  // Pyodide before 314 ignores the createPyodideModule option and calls this global instead.
  globalThis._createPyodideModule = createModule;
  try {
    return await loadPyodide({
      ...options,
      indexURL: INDEX_URL,
      lockFileContents: JSON.parse(lockFileText),
      createPyodideModule: createModule,
      env: { PYTHONDONTWRITEBYTECODE: "1", HOME: "/session" },
      stdout: (line) => console.log(line),
      stderr: (line) => console.error(line),
    });
  } finally {
    delete globalThis._createPyodideModule;
    bootFinished();
  }
}

// workerd compiled pyodide.asm.wasm as a CompiledWasm module; instantiating it synchronously is allowed anywhere.
// A snapshot larger than the module's initial memory needs the memory grown before it is copied in.
function instantiatingSynchronously(settings, beforeRestore) {
  settings.instantiateWasm = (imports, receiveInstance) => {
    addJsvErrorImports(imports);
    const instance = new WebAssembly.Instance(pyodideWasm, imports);
    // A memory the module imports was made by Emscripten at INITIAL_MEMORY already (Pyodide before 314).
    if (instance.exports.memory) growMemoryTo(instance.exports.memory, settings.INITIAL_MEMORY ?? 0);
    const exports = withPlaceableAllocations(instance.exports);
    receiveInstance({ exports }, pyodideWasm);
    return exports;
  };
  return createPyodideModule(settings).then((Module) => {
    if (beforeRestore) runBeforeRestore(Module, beforeRestore);
    return Module;
  });
}

function runBeforeRestore(Module, beforeRestore) {
  const restoreSnapshot = Module.API.restoreSnapshot;
  Module.API.restoreSnapshot = (snapshot) => {
    beforeRestore(Module);
    return restoreSnapshot(snapshot);
  };
}

// Emscripten places a native library's data where `calloc` says; to reload a library where a snapshot had it,
// the next allocation can be placed (dynlibs.mjs). The exports object is copied: an instance's is frozen.
export const placement = { next: null };

function withPlaceableAllocations(exports) {
  const calloc = exports.calloc;
  const placeableCalloc = (count, size) => {
    const placed = placement.next;
    placement.next = null;
    return placed ?? calloc(count, size);
  };
  return { ...exports, calloc: asWasmFunction(placeableCalloc) };
}

// Emscripten puts the main module's exports in its function table, which takes only wasm functions: a module
// that imports the JavaScript function as (i32, i32) -> i32 and exports it again (compiled at start-up).
const I32_I32_TO_I32_PASSTHROUGH = Uint8Array.of(
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version
  ...[0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f], // type 0: (i32, i32) -> i32
  ...[0x02, 0x07, 0x01, 0x01, 0x65, 0x01, 0x66, 0x00, 0x00], // import "e" "f": function of type 0
  ...[0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00], // export "f": function 0
);

function asWasmFunction(func) {
  const module = new WebAssembly.Module(I32_I32_TO_I32_PASSTHROUGH);
  return new WebAssembly.Instance(module, { e: { f: func } }).exports.f;
}

function growMemoryTo(memory, bytes) {
  const missing = bytes - memory.buffer.byteLength;
  if (missing > 0) memory.grow(Math.ceil(missing / WASM_PAGE));
}

// The JavaScript fallback Pyodide itself uses when its tiny helper module cannot be compiled (named `sentinel`
// before 314).
function addJsvErrorImports(imports) {
  const errorMarker = Symbol("error marker");
  imports.env.Jsv_GetError_import = () => errorMarker;
  imports.env.JsvError_Check = (value) => value === errorMarker;
  imports.sentinel = { create_sentinel: () => errorMarker, is_sentinel: (value) => value === errorMarker };
}

// Pyodide fetches its standard library while booting, at start-up, where workerd allows no I/O: the stand-in
// answers from the bundled modules with a response-shaped object. `pyodide.http` keeps a reference to the
// global fetch, so the stand-in stays installed and passes every other URL to workerd's fetch; at start-up it
// throws workerd's refusal at once, as `js.fetch()` raises it in workerd's own Python.
let bootFetchInstalled = false;
function installBootFetch() {
  if (bootFetchInstalled) return;
  bootFetchInstalled = true;
  const workerdFetch = globalThis.fetch;
  globalThis.fetch = function fetch(input, init) {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith(INDEX_URL)) return bootFile(url.slice(INDEX_URL.length));
    if (startingUp()) throw startUpRefusal() ?? new Error("fetch() at start-up");
    return workerdFetch(input, init);
  };
}

async function bootFile(name) {
  const body = BOOT_FILES[name];
  if (!body) return { ok: false, status: 404, statusText: `${name} is not bundled with the host` };
  const text = async () => new TextDecoder().decode(body);
  return { ok: true, status: 200, arrayBuffer: async () => body, text, json: async () => JSON.parse(await text()) };
}
