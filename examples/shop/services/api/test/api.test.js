import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createService } from "@shop/server";
import { createApi } from "../src/app.js";
import { createApiClient } from "../src/client.js";

// Stand-ins for auth and recommend: the same service frame, answering as they do.
const env = { HOST: "127.0.0.1", PORT: "0" };
const auth = createService({
  name: "auth",
  env,
  routes: { "GET /verify": ({ query }) => (query.get("token") === "good" ? { status: 200, body: { user: "ada" } } : { status: 401, body: {} }) },
});
const recommend = createService({
  name: "recommend",
  env,
  routes: { "GET /recommend": () => ({ status: 200, body: { item: "mug", items: ["kettle", "unknown"] } }) },
});
let api;
let client;
let apiUrl;

before(async () => {
  const [a, r] = await Promise.all([auth.start(), recommend.start()]);
  api = createApi({ ...env, AUTH_URL: a.url, RECOMMEND_URL: r.url });
  ({ url: apiUrl } = await api.start());
  client = createApiClient(apiUrl);
});
after(() => Promise.all([api.stop(), auth.stop(), recommend.stop()]));

test("the api is healthy when auth and recommend are", async () => {
  assert.deepEqual((await client.health()).checks, { auth: "ok", recommend: "ok" });
});

test("a product comes with its related products, unknown ids dropped", async () => {
  const { product, related } = await client.product("mug");
  assert.equal(product.price, "€12.50");
  assert.deepEqual(related.map((p) => p.id), ["kettle"]);
});

test("GET /me asks auth who the bearer token belongs to", async () => {
  const me = await fetch(`${apiUrl}/me`, { headers: { authorization: "Bearer good" } });
  assert.deepEqual(await me.json(), { user: "ada" });
  assert.equal((await fetch(`${apiUrl}/me`, { headers: { authorization: "Bearer bad" } })).status, 401);
  assert.equal((await fetch(`${apiUrl}/me`)).status, 401);
});

test("the api reports 503 while a dependency is down", async () => {
  // A port that was just free: nothing listens there.
  const gone = createService({ name: "gone", env });
  const { url: nowhere } = await gone.start();
  await gone.stop();
  const lonely = createApi({ ...env, AUTH_URL: nowhere, RECOMMEND_URL: nowhere });
  const { url } = await lonely.start();
  try {
    const response = await fetch(`${url}/health`);
    assert.equal(response.status, 503);
    assert.equal((await response.json()).checks.auth, "ECONNREFUSED");
  } finally {
    await lonely.stop();
  }
});
