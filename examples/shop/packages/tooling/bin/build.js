#!/usr/bin/env node
import { build } from "../lib/build.js";

try {
  const count = build(process.cwd());
  process.stdout.write(`shop-build: ${count} file(s) written to dist/\n`);
} catch (error) {
  process.stderr.write(`shop-build: ${error.message}\n`);
  process.exit(1);
}
