import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { isScript, walk } from "./walk.js";

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g;

/**
 * Build a package: copy src/ to dist/, stamp each script with the package's
 * name and version, and refuse relative imports that point at no file (the
 * mistake that otherwise shows up only when a dependent starts).
 */
export function build(packageDir) {
  const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
  const src = join(packageDir, "src");
  const dist = join(packageDir, "dist");
  if (!existsSync(src)) throw new Error(`${pkg.name}: no src/ folder to build`);
  const files = walk(src);
  const problems = [];
  for (const file of files.filter(isScript)) {
    const text = readFileSync(join(src, file), "utf8");
    for (const match of text.matchAll(IMPORT)) {
      const target = posix.normalize(posix.join(posix.dirname(file), match[1]));
      if (!files.includes(target)) {
        const line = text.slice(0, match.index).split("\n").length;
        problems.push(`src/${file}:${line}: import "${match[1]}" points at no file in src/`);
      }
    }
  }
  if (problems.length) throw new Error(problems.join("\n"));
  rmSync(dist, { recursive: true, force: true });
  for (const file of files) {
    const out = join(dist, file);
    mkdirSync(dirname(out), { recursive: true });
    const body = readFileSync(join(src, file));
    const stamp = `// ${pkg.name}@${pkg.version}: built from src/${file} by shop-build; do not edit.\n`;
    writeFileSync(out, isScript(file) ? stamp + body.toString("utf8") : body);
  }
  return files.length;
}
