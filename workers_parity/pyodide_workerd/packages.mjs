// Where the runtime's npm packages (miniflare, wrangler, pyodide, workerd) are loaded from: the node_modules folder
// workers-parity installed them into (WORKERS_PARITY_NODE_MODULES), else the usual lookup from this folder up.
import { createRequire } from "node:module";
import path from "node:path";

const installed = process.env.WORKERS_PARITY_NODE_MODULES;

export const packageRequire = createRequire(installed ? path.join(installed, "..", "package.json") : import.meta.url);
