#!/usr/bin/env node
// The `direct` host for JavaScript workers: serves a JS worker folder in workerd through miniflare exactly as
// serve.mjs hosts a Python one, without `wrangler dev`'s proxy worker, its request-draining middleware or its
// bundler. The folder's wrangler config is read with wrangler's own reader; its modules are taken as ES modules,
// as `wrangler dev --no-bundle` finds them (every file under the main module's folder that a module rule matches).
import fs from "node:fs";
import module from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bindingOptions, cachedWranglerReading, checkedMain, configFile, supportedDate } from "./config.mjs";
import {
  enableTimings,
  exitWithParent,
  installShutdown,
  launcherArguments,
  log,
  loggingOptions,
  reloadWorker,
  runMain,
  servingOptions,
  timing,
  watchSources,
  withoutMiniflareSignalHandlers,
  workerdVersion,
} from "./launcher.mjs";
import { listFiles, toPosix } from "./modules.mjs";
import { packageRequire as require } from "./packages.mjs";

module.enableCompileCache?.();

const NAME = "direct";
const USAGE =
  "usage: node serve-js.mjs --worker-dir DIR --port PORT [--ip 127.0.0.1] --persist-to STATE " +
  "[--watch] [--test-scheduled] [--timings]";
const OPTIONS = {
  "worker-dir": { type: "string" },
  port: { type: "string" },
  ip: { type: "string", default: "127.0.0.1" },
  "persist-to": { type: "string" },
  watch: { type: "boolean", default: false },
  "test-scheduled": { type: "boolean", default: false }, // wrangler dev's flag: the trigger routes are always on
  timings: { type: "boolean", default: false },
};
const REQUEST_LOG = path.join(path.dirname(fileURLToPath(import.meta.url)), "host", "request-log.mjs");
// The modules this launcher adds beside the worker's own, under a folder name no worker uses.
const OURS = "__workers_parity_direct__";
// wrangler's rules for module workers, before the config's own (which wrangler's reader has merged in).
const JS_RULES = [
  { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
  { type: "CommonJS", include: ["**/*.cjs"] },
];
const SKIPPED = new Set(["node_modules", OURS]);
const JS_MAIN = { extension: /\.m?js$/, named: "a .js or .mjs module (no bundler here: use wrangler dev)" };

function parseOptions(argv) {
  const { values, port } = launcherArguments(argv, OPTIONS, USAGE);
  return {
    workerDir: path.resolve(values["worker-dir"]),
    port,
    ip: values.ip,
    stateDir: path.resolve(values["persist-to"]),
    watch: values.watch,
    timings: values.timings,
  };
}

function readJsWorker(workerDir) {
  const configPath = configFile(workerDir);
  const { config, workerOptions } = cachedWranglerReading(workerDir, configPath);
  const mainPath = checkedMain(config, workerDir, configPath, JS_MAIN);
  return {
    name: config.name ?? path.basename(workerDir),
    mainPath,
    root: path.dirname(mainPath),
    compatibilityDate: supportedDate(config.compatibility_date),
    compatibilityFlags: config.compatibility_flags ?? [],
    rules: [...JS_RULES, ...(workerOptions.modulesRules ?? [])],
    bindingOptions: bindingOptions(workerOptions),
  };
}

// The module list: a generated main module that re-exports the worker's and logs its requests, then every file
// of the worker's folder that a rule gives a type (the first rule that matches, as wrangler decides).
function workerModules(worker) {
  const ownMain = path.join(worker.root, OURS, "main.mjs");
  const requestLog = path.join(worker.root, OURS, "request-log.mjs");
  const entry = `../${toPosix(path.relative(worker.root, worker.mainPath))}`;
  const modules = [
    { type: "ESModule", path: ownMain, contents: mainSource(entry) },
    { type: "ESModule", path: requestLog, contents: fs.readFileSync(REQUEST_LOG, "utf8") },
  ];
  const skipped = (part) => SKIPPED.has(part) || part.startsWith(".");
  for (const file of listFiles(worker.root, skipped).map(toPosix)) {
    const type = worker.rules.find((rule) => rule.include.some((glob) => path.matchesGlob(file, glob)))?.type;
    if (type) modules.push({ type, path: path.join(worker.root, file) });
  }
  return modules;
}

function mainSource(entry) {
  return [
    `import * as worker from ${JSON.stringify(entry)};`,
    'import { withRequestLog } from "./request-log.mjs";',
    `export * from ${JSON.stringify(entry)};`,
    `export default withRequestLog(${JSON.stringify(NAME)}, worker.default);`,
    "",
  ].join("\n");
}

function settings(worker, options) {
  const { convertV4MiniflareOptions } = require("miniflare");
  const converted = convertV4MiniflareOptions({
    ...worker.bindingOptions,
    name: worker.name,
    modules: workerModules(worker),
    modulesRoot: worker.root,
    compatibilityDate: worker.compatibilityDate,
    compatibilityFlags: worker.compatibilityFlags,
    ...servingOptions(options),
  });
  return { ...converted, ...loggingOptions(NAME) };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  enableTimings(options.timings);
  timing("launcher-up");
  exitWithParent(NAME);
  const worker = readJsWorker(options.workerDir);
  timing("config-read");
  const { Miniflare } = require("miniflare");
  timing("workerd-starting");
  const miniflare = withoutMiniflareSignalHandlers(() => new Miniflare(settings(worker, options)));
  installShutdown(miniflare);
  const url = await miniflare.ready;
  timing("workerd-listening");
  log(`Ready on ${url.origin} (direct, workerd ${workerdVersion()})`);
  const reload = (file) => reloadWorker(NAME, miniflare, () => settings(worker, options), `${file} changed`);
  if (options.watch) watchSources(worker.root, reload);
}

runMain(NAME, main);
