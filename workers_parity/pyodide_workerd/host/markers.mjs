// What the host writes to workerd's log for the launcher (serve.mjs) to act on, written here once for both sides.
// It imports nothing: the host runs it inside workerd, the launcher imports it in Node.

// A fatal error leaves Pyodide unusable; workerd's own Python aborts the isolate. The host writes a line that begins
// with this, and the launcher starts workerd again.
export const FATAL_MARKER = "pyodide-workerd: Python suffered a fatal error";

// An entrypoint class the launcher did not export: the host writes this and the names (JSON), and the launcher
// starts again with them.
export const MISSING_EXPORTS_MARKER = "pyodide-workerd: entrypoint classes not exported:";

// Start-up lines the host writes with --timings (`[pyodide-workerd] …`), timed by the launcher as they arrive.
export const BOOT_BEGINS = "Python boot begins";
export const INTERPRETER_UP = "Python interpreter up";
