// Imported first by the host: the rules of workerd's start-up (its top level), where the worker's Python runs.
//
// Pyodide boots here and the worker's main module is imported here, as workerd's own Python does, so workerd's
// own restrictions apply: no I/O, no timers, no random values (its "Disallowed operation called within global
// scope" error). Two things are shaped while Pyodide boots and are put back afterwards:
// - `process`: workerd exposes `process.versions.node` even without nodejs_compat, which would send Pyodide down
//   its Node path (node:fs, node:path); without it Pyodide takes its web path, served by boot.mjs.
// - `addEventListener`: without `setImmediate` (workerd gives it only with nodejs_compat or a recent compatibility
//   date) Emscripten falls back to a capturing "message" listener, which workerd refuses ("useCapture must be
//   false"). Hidden, Emscripten keeps neither; Pyodide's own scheduler does not use it.
// Random values: Python seeds `random` and its hash secret from getentropy() while importing. A getentropy() that
// throws would crash the interpreter, so at start-up the Python side allows a counted number of deterministic
// ("bad") values for those imports and blocks the seeded functions until the first request reseeds them
// (python/_cloudflare/); every other start-up call reaches workerd's own crypto and fails as on Cloudflare.
// Before 2025-05-05 workerd has no FinalizationRegistry without the enable_weak_ref flag, and Pyodide needs one:
// as workerd's own Python does, a stand-in that never finalizes (JavaScript proxies are then freed only explicitly).
export const FINALIZATION_REGISTRY_IS_REAL = typeof FinalizationRegistry !== "undefined";
if (!FINALIZATION_REGISTRY_IS_REAL) {
  globalThis.FinalizationRegistry = class FinalizationRegistry {
    register() {}
    unregister() {}
  };
}

// Shadowed by an own property (addEventListener lives on the global scope's prototype). Pyodide before 314 knows no
// workerd: a stand-in importScripts makes it take its web-worker path, which the stand-in fetch serves.
import setup from "./setup.mjs";

const shadowed = {};
const BOOT_GLOBALS = {
  process: undefined,
  addEventListener: undefined,
  location: bootLocation(),
  importScripts,
  // Pyodide 314 knows workerd by its navigator, which workerd has only from 2022-03-21 (global_navigator).
  navigator: globalThis.navigator ?? { userAgent: "Cloudflare-Workers" },
};
for (const [name, value] of Object.entries(BOOT_GLOBALS)) {
  shadowed[name] = Object.getOwnPropertyDescriptor(globalThis, name);
  Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
}

function importScripts() {
  throw new TypeError("workerd loads no classic scripts");
}

// Pyodide 314 resolves its URLs against `location`, which must exist and be undefined; Emscripten before 314 reads
// `self.location.href` in a worker scope.
function bootLocation() {
  return Number(setup.versions.pyodide.split(".")[0]) >= 314 ? undefined : new URL("https://pyodide.invalid/");
}

export function bootFinished() {
  for (const [name, own] of Object.entries(shadowed)) {
    delete globalThis[name];
    if (own) Object.defineProperty(globalThis, name, own);
  }
}

const workerdGetRandomValues = crypto.getRandomValues.bind(crypto);
const BAD_ENTROPY_BYTE = 43;
let phase = "boot"; // "boot": the interpreter's own set-up; "startup": the worker's top level; "request"
let allowance = null; // Python's counter of allowed start-up calls (allow_entropy.py): [module, address]

crypto.getRandomValues = function getRandomValues(array) {
  if (phase === "request") return workerdGetRandomValues(array);
  if (phase === "boot" || takeAllowance()) return array.fill(BAD_ENTROPY_BYTE);
  try {
    return workerdGetRandomValues(array); // fails as it fails on Cloudflare, with workerd's own error
  } catch (error) {
    throw fromPythonsGetentropy() ? asErrno(error) : error;
  }
};

// Python asks through getentropy(): Emscripten turns an errno-carrying error into an OSError(EIO) there, where any
// other error would abort the interpreter.
const EIO = 29;
function fromPythonsGetentropy() {
  return /\b(_random_get|_getentropy|randomFill)\b/.test(new Error().stack ?? "");
}

function asErrno(error) {
  return Object.assign(new Error(error.message), { name: "ErrnoError", errno: EIO });
}

function takeAllowance() {
  if (!allowance) return false;
  const [module, address] = allowance;
  if (module.HEAP8[address] <= 0) return false;
  module.HEAP8[address] -= 1;
  return true;
}

// workerd's own words for an operation refused at start-up (its fetch() rejects with them; Python's `js.fetch()`
// in workerd's own Python raises them at once, as boot.mjs's fetch does at start-up).
export function startUpRefusal() {
  try {
    workerdGetRandomValues(new Uint8Array(1));
  } catch (error) {
    return error;
  }
  return null;
}

export function startingUp() {
  return phase !== "request";
}

// From here on the worker's top level runs: entropy only as Python's counter allows.
export function enterStartup(module, allowanceAddress) {
  allowance = [module, allowanceAddress];
  phase = "startup";
}

// Before the first request: workerd's own crypto from now on.
export function enterRequestContext() {
  phase = "request";
}
