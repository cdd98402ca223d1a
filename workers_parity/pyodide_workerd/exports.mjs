// The names the host module exports. An ES module's export names are fixed in its source, while workerd's own
// Python learns the worker's classes by importing it; so the launcher names, before start-up, every name the main
// module's top level may bind (classes, imports, assignments) plus the classes the config needs, and the host
// fills each with the Python class of that name, or leaves it an empty handler. Should the worker bind an
// entrypoint class under a name this reading missed (e.g. `from mod import *`), the host says so at start-up and
// the launcher starts again with it (serve.mjs).
import fs from "node:fs";

const CLASS = /^class\s+([A-Za-z_]\w*)/;
const ASSIGNMENT = /^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)/;
const FROM_IMPORT = /^from\s+[\w.]+\s+import\s+\(?([^#)]*)/;

export function exportNames(mainPath, configNames, extraNames = []) {
  const found = scanTopLevel(fs.readFileSync(mainPath, "utf8"));
  const names = new Set([...found, ...configNames, ...extraNames]);
  names.delete("default");
  return [...names].filter((name) => !name.startsWith("_")).sort();
}

function scanTopLevel(source) {
  const names = [];
  let inParenthesizedImport = false;
  for (const line of source.split("\n")) {
    if (inParenthesizedImport) {
      names.push(...importedNames(line.replace(/#.*/, "")));
      if (line.includes(")")) inParenthesizedImport = false;
      continue;
    }
    const match = CLASS.exec(line) ?? ASSIGNMENT.exec(line);
    if (match) names.push(match[1]);
    const fromImport = FROM_IMPORT.exec(line);
    if (fromImport) {
      names.push(...importedNames(fromImport[1]));
      inParenthesizedImport = /import\s+\(/.test(line) && !line.includes(")");
    }
  }
  return names;
}

function importedNames(list) {
  return list
    .split(",")
    .map((part) =>
      part
        .trim()
        .split(/\s+as\s+/)
        .at(-1)
        .trim(),
    )
    .filter((name) => /^[A-Za-z_]\w*$/.test(name) && name !== "import");
}

// The main module workerd runs first: it starts the host and exports what it found under the names above.
export function mainModuleSource(names) {
  const lines = [
    'import { start } from "./host.mjs";',
    "const worker = await start();",
    `worker.reportMissingExports(${JSON.stringify(names)});`,
  ];
  names.forEach((name, index) => {
    lines.push(`const export${index} = worker.named[${JSON.stringify(name)}] ?? {};`);
    lines.push(`export { export${index} as ${JSON.stringify(name)} };`);
  });
  lines.push("export default worker.defaultExport;");
  return lines.join("\n") + "\n";
}
