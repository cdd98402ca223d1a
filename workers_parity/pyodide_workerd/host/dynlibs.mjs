// Native extension modules (`.so` files of Pyodide wheels, e.g. pydantic_core) are WebAssembly, and workerd
// compiles WebAssembly only at start-up. The launcher hands every `.so` of the worker to workerd as a CompiledWasm
// module, so workerd compiles them while it may (as its own Python preloads its packages' libraries); when Pyodide
// later loads one, during a request too, the compiled module is used instead of compiling the file's bytes.
const byLength = new Map(); // byte length -> [{ bytes, module }]

export function registerCompiledLibraries(libraries) {
  for (const { bytes, module } of libraries) {
    const view = new Uint8Array(bytes);
    const sameLength = byLength.get(view.byteLength) ?? [];
    sameLength.push({ bytes: view, module });
    byLength.set(view.byteLength, sameLength);
  }
  if (byLength.size > 0) installLookup();
}

function compiledFor(source) {
  const view = asBytes(source);
  if (!view) return null;
  for (const candidate of byLength.get(view.byteLength) ?? []) {
    if (sameBytes(candidate.bytes, view)) return candidate.module;
  }
  return null;
}

function asBytes(source) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return null;
}

function sameBytes(a, b) {
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

let installed = false;
function installLookup() {
  if (installed) return;
  installed = true;
  const { Module, compile, instantiate } = WebAssembly;
  WebAssembly.Module = new Proxy(Module, {
    construct(target, args) {
      return compiledFor(args[0]) ?? Reflect.construct(target, args);
    },
  });
  WebAssembly.compile = async (source, ...rest) => compiledFor(source) ?? compile(source, ...rest);
  WebAssembly.instantiate = async (source, ...rest) => {
    const module = compiledFor(source);
    if (!module) return instantiate(source, ...rest);
    return { module, instance: await instantiate(module, ...rest) };
  };
}

// A memory snapshot holds the loaded libraries' data and the C side of their handles, but not the libraries
// themselves (their code, table entries and symbols live in JavaScript). What is needed to load them again, in
// the same order, at the same memory and table places, before the snapshot's memory is copied over them:
const DSO = { memoryBase: 12, tableBase: 20, tableSize: 24 }; // offsets into Emscripten's `struct dso`

export function loadedLibraries(Module) {
  const libraries = Object.entries(Module.LDSO.loadedLibsByHandle)
    .filter(([handle]) => Number(handle) !== 0)
    .map(([handle, dso]) => ({
      name: dso.name,
      handle: Number(handle),
      global: Boolean(dso.global),
      memoryBase: Module.HEAPU32[(Number(handle) + DSO.memoryBase) >>> 2],
      tableBase: Module.HEAPU32[(Number(handle) + DSO.tableBase) >>> 2],
    }));
  return libraries.sort((a, b) => a.tableBase - b.tableBase);
}

export function reloadLibraries(Module, libraries, placement) {
  for (const library of libraries) {
    const table = Module.wasmTable;
    if (table.length > library.tableBase) {
      throw new Error(`cannot reload ${library.name} from the snapshot: its function table place is taken`);
    }
    if (table.length < library.tableBase) table.grow(library.tableBase - table.length);
    placement.next = library.memoryBase || null;
    const flags = { global: library.global, nodelete: true, loadAsync: false };
    Module.loadDynamicLibrary(library.name, flags, library.global ? null : {}, library.handle);
    placement.next = null;
  }
}
