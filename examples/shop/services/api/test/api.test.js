import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { memoryEvents, TOPICS } from "@shop/events";
import { createService } from "@shop/server";
import { createApi } from "../src/app.js";
import { createApiClient } from "../src/client.js";

// Stand-ins for auth, recommend and inventory: the same service frame, answering as they do;
// the events go to an in-memory bus.
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
let mugs = 5;
const inventory = createService({
  name: "inventory",
  env,
  routes: {
    "GET /items/:sku": () => ({ status: 200, body: { sku: "mug", stock: mugs } }),
    "POST /reservations": ({ body }) => ({ status: 201, body: { sku: body.sku, stock: (mugs -= body.qty) } }),
  },
});
const events = memoryEvents();
let api;
let client;
let apiUrl;
const post = (path, body, headers = {}) => fetch(`${apiUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });

before(async () => {
  const [a, r, i] = await Promise.all([auth.start(), recommend.start(), inventory.start()]);
  api = createApi({ ...env, AUTH_URL: a.url, RECOMMEND_URL: r.url, INVENTORY_URL: i.url }, events);
  ({ url: apiUrl } = await api.start());
  client = createApiClient(apiUrl);
});
after(() => Promise.all([api.stop(), auth.stop(), recommend.stop(), inventory.stop()]));

test("the api is healthy when auth, recommend, inventory and the broker are", async () => {
  assert.deepEqual((await client.health()).checks, { auth: "ok", recommend: "ok", inventory: "ok", events: "ok" });
});

test("an order needs a token auth verifies, takes from the stock and publishes an event", async () => {
  assert.equal((await post("/orders", { sku: "mug" })).status, 401);
  assert.equal((await post("/orders", { sku: "mug" }, { authorization: "Bearer bad" })).status, 401);
  const placed = await post("/orders", { sku: "mug", qty: 2 }, { authorization: "Bearer good" });
  assert.equal(placed.status, 201);
  const order = await placed.json();
  assert.match(order.id, /^ord_/);
  assert.deepEqual({ ...order, id: "" }, { id: "", user: "ada", sku: "mug", qty: 2, cents: 2500, state: "placed" });
  assert.deepEqual(events.published.at(-1), { topic: TOPICS.orderPlaced, event: order });
});

test("the api's view of the stock follows its reservations", async () => {
  const before = (await (await fetch(`${apiUrl}/stock/mug`)).json()).count;
  assert.equal((await post("/cart", { sku: "mug" })).status, 201);
  assert.deepEqual(await (await fetch(`${apiUrl}/stock/mug`)).json(), { sku: "mug", count: before - 1 });
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

test("without recommend a product comes without related products, and /related answers 503 at once", async () => {
  const gone = createService({ name: "gone", env });
  const { url: nowhere } = await gone.start();
  await gone.stop();
  const degraded = createApi({ ...env, AUTH_URL: nowhere, RECOMMEND_URL: nowhere, INVENTORY_URL: nowhere }, memoryEvents());
  const { url } = await degraded.start();
  try {
    assert.deepEqual((await (await fetch(`${url}/products/mug`)).json()).related, []);
    const related = await fetch(`${url}/products/mug/related`);
    assert.equal(related.status, 503);
    assert.equal((await related.json()).error, "recommendations are unavailable");
  } finally {
    await degraded.stop();
  }
});
