import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createService } from "@shop/server";
import { createWeb } from "../src/app.js";
import { homePage, productPage } from "../src/pages.js";

test("the home page lists products with links and prices, escaping names", () => {
  const page = homePage([{ id: "a b", name: "<Mug>", price: "€1.00" }]);
  assert.match(page, /<a href="\/products\/a%20b">&lt;Mug&gt;<\/a> <span>€1.00<\/span>/);
});

test("a product page shows related products only when there are some", () => {
  const product = { id: "mug", name: "Mug", price: "€1.00" };
  assert.doesNotMatch(productPage({ product, related: [] }), /You may also like/);
  assert.match(productPage({ product, related: [product] }), /You may also like/);
});

const env = { HOST: "127.0.0.1", PORT: "0" };
const api = createService({
  name: "api",
  env,
  routes: { "GET /products": () => ({ status: 200, body: { products: [{ id: "mug", name: "Mug", price: "€12.50" }] } }) },
});
let web;
let webUrl;
before(async () => {
  const { url } = await api.start();
  web = createWeb({ ...env, API_URL: url });
  ({ url: webUrl } = await web.start());
});
after(() => Promise.all([web.stop(), api.stop()]));

test("GET / renders the products the API returns", async () => {
  const response = await fetch(`${webUrl}/`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /text\/html/);
  assert.match(await response.text(), /Mug<\/a> <span>€12.50/);
});

test("the web app is healthy when the API is", async () => {
  assert.equal((await fetch(`${webUrl}/health`)).status, 200);
});
