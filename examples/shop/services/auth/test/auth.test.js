import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { createAuth } from "../src/app.js";
import { issue, verify } from "../src/tokens.js";

test("a token verifies to its user until it expires", () => {
  const token = issue("s", "ada", 60, 0);
  assert.equal(verify("s", token, 59_000), "ada");
  assert.equal(verify("s", token, 60_000), null);
});

test("a token signed with another secret or altered does not verify", () => {
  const token = issue("s", "ada", 60, 0);
  assert.equal(verify("other", token, 0), null);
  assert.equal(verify("s", token.replace("ada", "bob"), 0), null);
  assert.equal(verify("s", "garbage", 0), null);
});

let service;
let url;
before(async () => {
  service = createAuth({ HOST: "127.0.0.1", PORT: "0", AUTH_SECRET: "test" });
  ({ url } = await service.start());
});
after(() => service.stop());

test("POST /tokens then GET /verify round-trips the user over HTTP", async () => {
  const issued = await fetch(`${url}/tokens`, { method: "POST", body: JSON.stringify({ user: "ada" }) });
  assert.equal(issued.status, 201);
  const { token } = await issued.json();
  const verified = await fetch(`${url}/verify?token=${encodeURIComponent(token)}`);
  assert.deepEqual(await verified.json(), { user: "ada" });
  assert.equal((await fetch(`${url}/verify?token=nope`)).status, 401);
});

test("npm run token prints a token the service verifies, for the user asked", async () => {
  const script = new URL("../src/token.js", import.meta.url).pathname;
  const token = execFileSync(process.execPath, [script, "--user", "grace"], { env: { AUTH_SECRET: "test" } }).toString().trim();
  const verified = await fetch(`${url}/verify?token=${encodeURIComponent(token)}`);
  assert.deepEqual(await verified.json(), { user: "grace" });
});
