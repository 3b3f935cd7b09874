import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createService, getJson, httpDependency } from "../src/index.js";

const quiet = { HOST: "127.0.0.1", PORT: "0" };
const started = [];

async function start(options) {
  const service = createService({ name: "t", defaultPort: 0, env: quiet, ...options });
  started.push(service);
  return (await service.start()).url;
}

after(() => Promise.all(started.map((s) => s.stop())));

test("GET /health answers 200 when every check passes", async () => {
  const url = await start({ checks: { always: async () => {} } });
  const response = await fetch(`${url}/health`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: "ok", service: "t", checks: { always: "ok" } });
});

test("GET /health answers 503 naming the failing check", async () => {
  const url = await start({ checks: { db: async () => { throw new Error("db down"); } } });
  const response = await fetch(`${url}/health`);
  assert.equal(response.status, 503);
  assert.deepEqual((await response.json()).checks, { db: "db down" });
});

test("routes receive path parameters and JSON bodies", async () => {
  const url = await start({
    routes: {
      "GET /items/:id": ({ params }) => ({ status: 200, body: { id: params.id } }),
      "POST /echo": ({ body }) => ({ status: 201, body }),
    },
  });
  assert.deepEqual(await getJson(`${url}/items/a%20b`), { id: "a b" });
  const posted = await fetch(`${url}/echo`, { method: "POST", body: JSON.stringify({ x: 1 }) });
  assert.equal(posted.status, 201);
  assert.deepEqual(await posted.json(), { x: 1 });
  assert.equal((await fetch(`${url}/nothing`)).status, 404);
});

test("an http dependency is ready only when the other service's /health answers 2xx", async () => {
  const upstream = await start({});
  await httpDependency(upstream)();
  const sick = await start({ checks: { no: async () => { throw new Error("no"); } } });
  await assert.rejects(httpDependency(sick)(), /answered 503/);
  const gone = createService({ name: "gone", env: quiet });
  const { url: nowhere } = await gone.start();
  await gone.stop();
  await assert.rejects(httpDependency(nowhere)(), /fetch failed/);
});
