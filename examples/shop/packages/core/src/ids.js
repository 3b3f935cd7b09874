import { randomBytes } from "node:crypto";

/** A short random id with a readable prefix, e.g. "ord_3f9c2a1b7e4d". */
export function newId(prefix) {
  if (!/^[a-z]+$/.test(prefix)) throw new TypeError(`id prefix must be lower-case letters, got ${prefix}`);
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}
