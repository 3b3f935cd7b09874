import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createInventory } from "../src/app.js";

let service;
let url;
const reserve = (body) =>
  fetch(`${url}/reservations`, { method: "POST", body: JSON.stringify(body) });

before(async () => {
  service = createInventory({ HOST: "127.0.0.1", PORT: "0" }, { mug: 3 });
  ({ url } = await service.start());
});
after(() => service.stop());

test("a reservation takes from the stock and answers what is left", async () => {
  const reserved = await reserve({ sku: "mug", qty: 2 });
  assert.equal(reserved.status, 201);
  assert.deepEqual(await reserved.json(), { sku: "mug", stock: 1, reserved: 2 });
  assert.deepEqual(await (await fetch(`${url}/items/mug`)).json(), { sku: "mug", stock: 1 });
});

test("a reservation beyond the stock is refused and takes nothing", async () => {
  assert.equal((await reserve({ sku: "mug", qty: 5 })).status, 409);
  assert.equal((await reserve({ sku: "nope" })).status, 404);
  assert.equal((await reserve({ sku: "mug", qty: 0 })).status, 400);
  assert.deepEqual(await (await fetch(`${url}/items/mug`)).json(), { sku: "mug", stock: 1 });
});

test("an unknown product has no stock to read", async () => {
  const response = await fetch(`${url}/items/nope`);
  assert.equal(response.status, 404);
  assert.deepEqual(await response.json(), { error: 'no product "nope"' });
});
