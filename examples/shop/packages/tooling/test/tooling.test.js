import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { build } from "../lib/build.js";
import { lint } from "../lib/lint.js";

function fixture(files) {
  const dir = mkdtempSync(join(tmpdir(), "shop-tooling-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "@t/pkg", version: "2.0.0", type: "module" }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test("build copies src to dist and stamps each script with the package version", () => {
  const dir = fixture({ "src/index.js": 'export * from "./util/a.js";\n', "src/util/a.js": "export const a = 1;\n" });
  assert.equal(build(dir), 2);
  const out = readFileSync(join(dir, "dist/index.js"), "utf8");
  assert.match(out, /^\/\/ @t\/pkg@2\.0\.0: built from src\/index\.js/);
  assert.ok(out.endsWith('export * from "./util/a.js";\n'));
});

test("build refuses a relative import that points at no file, naming the line", () => {
  const dir = fixture({ "src/index.js": "\nimport { b } from './missing.js';\n" });
  assert.throws(() => build(dir), /src\/index\.js:2: import "\.\/missing\.js" points at no file/);
});

test("lint reports syntax errors and style problems with their place", () => {
  const dir = fixture({ "src/bad.js": "\nexport const x = ;\n", "src/style.js": "console.log(1);  \n" });
  const problems = lint(dir, ["src"]);
  assert.ok(problems.includes("src/bad.js:2: SyntaxError: Unexpected token ';'"), problems.join("\n"));
  assert.ok(problems.includes("src/style.js:1: trailing whitespace"));
  assert.ok(problems.includes("src/style.js:1: console.log: use the logger from @shop/core"));
});

test("lint passes clean code", () => {
  const dir = fixture({ "src/ok.js": "export const ok = true;\n" });
  assert.deepEqual(lint(dir, ["src", "test"]), []);
});
