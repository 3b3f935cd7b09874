import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { isScript, walk } from "./walk.js";

const RULES = [
  [/[ \t]+$/, "trailing whitespace"],
  [/^\s*debugger;?\s*$/, "debugger statement left in"],
  [/\bconsole\.log\(/, "console.log: use the logger from @shop/core"],
];

/** How node loads `file` of a package: ESM or CommonJS. */
function moduleType(file, packageType) {
  if (file.endsWith(".mjs")) return "module";
  if (file.endsWith(".cjs")) return "commonjs";
  return packageType === "module" ? "module" : "commonjs";
}

/** Problems in the scripts under `dirs` of `packageDir`, as "path:line: message" lines. */
export function lint(packageDir, dirs) {
  const { type } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const problems = [];
  for (const dir of dirs) {
    const root = join(packageDir, dir);
    if (!existsSync(root) || !statSync(root).isDirectory()) continue;
    for (const file of walk(root).filter(isScript)) {
      const path = `${dir}/${file}`;
      const text = readFileSync(join(root, file), "utf8");
      if (text.length && !text.endsWith("\n")) problems.push(`${path}: no newline at the end of the file`);
      text.split("\n").forEach((line, index) => {
        for (const [pattern, message] of RULES) {
          // Command-line tools may print; libraries and services log.
          if (message.startsWith("console.log") && dir !== "src") continue;
          if (pattern.test(line)) problems.push(`${path}:${index + 1}: ${message}`);
        }
      });
      // Node's own parser, so the check knows every syntax node knows. The source
      // goes through stdin: `node --check FILE` skips ES modules in node 20.
      const check = spawnSync(process.execPath, [`--input-type=${moduleType(file, type)}`, "--check"], {
        input: text,
        encoding: "utf8",
      });
      if (check.status !== 0) {
        const reason = check.stderr.split("\n").find((l) => l.startsWith("SyntaxError")) ?? check.stderr.trim();
        const line = /^\[stdin\]:(\d+)/.exec(check.stderr)?.[1];
        problems.push(`${path}${line ? `:${line}` : ""}: ${reason}`);
      }
    }
  }
  return problems;
}
