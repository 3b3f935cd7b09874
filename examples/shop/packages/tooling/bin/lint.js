#!/usr/bin/env node
import { lint } from "../lib/lint.js";

const dirs = process.argv.slice(2);
const problems = lint(process.cwd(), dirs.length ? dirs : ["src", "test"]);
for (const problem of problems) process.stderr.write(`${problem}\n`);
if (problems.length) {
  process.stderr.write(`shop-lint: ${problems.length} problem(s)\n`);
  process.exit(1);
}
process.stdout.write("shop-lint: clean\n");
