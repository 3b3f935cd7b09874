import { readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Every file under `dir`, as sorted paths relative to `base` with "/" separators. */
export function walk(dir, base = dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full, base));
    else if (entry.isFile()) out.push(relative(base, full).split(sep).join("/"));
  }
  return out.sort();
}

export const isScript = (path) => /\.(c|m)?js$/.test(path);
