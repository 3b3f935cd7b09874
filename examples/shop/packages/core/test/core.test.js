import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, formatPrice, listenAddress, newId } from "../src/index.js";

test("formatPrice shows whole cents in the currency", () => {
  assert.equal(formatPrice(1250), "€12.50");
  assert.equal(formatPrice(999, "GBP"), "£9.99");
  assert.throws(() => formatPrice(12.5), /whole cents/);
});

test("newId keeps the prefix and is unique", () => {
  const a = newId("ord");
  assert.match(a, /^ord_[0-9a-f]{12}$/);
  assert.notEqual(a, newId("ord"));
  assert.throws(() => newId("Bad"), /lower-case/);
});

test("listenAddress reads HOST and PORT, with a default port", () => {
  assert.deepEqual(listenAddress({}, 4000), { host: "127.0.0.1", port: 4000 });
  assert.deepEqual(listenAddress({ HOST: "0.0.0.0", PORT: "0" }, 4000), { host: "0.0.0.0", port: 0 });
  assert.throws(() => listenAddress({ PORT: "http" }, 4000), /PORT must be a number/);
});

test("the logger writes one JSON object per line", () => {
  const lines = [];
  createLogger("svc", { write: (line) => lines.push(line) }).info("started", { port: 1 });
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.service, "svc");
  assert.equal(entry.message, "started");
  assert.equal(entry.port, 1);
  assert.ok(lines[0].endsWith("\n"));
});
