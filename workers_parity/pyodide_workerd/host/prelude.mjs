// Imported first by the host: shapes the globals Pyodide looks at to work out where it runs, until it has booted.
//
// workerd exposes `process.versions.node` even without nodejs_compat, which would send Pyodide down its Node
// path (node:fs, node:path); without it Pyodide takes its web path, served by boot.mjs's stand-in fetch. That
// path reads `location` to resolve URLs, which a worker has not: it must exist, and stay undefined.
const process = Object.getOwnPropertyDescriptor(globalThis, "process");
if (process) delete globalThis.process;
globalThis.location = undefined;

export function restoreGlobals() {
  delete globalThis.location;
  if (process) Object.defineProperty(globalThis, "process", process);
}
