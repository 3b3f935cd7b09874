import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { memoryEvents, TOPICS } from "@shop/events";
import { createBilling } from "../src/app.js";

const events = memoryEvents();
let service;
let url;

before(async () => {
  service = createBilling({ HOST: "127.0.0.1", PORT: "0" }, events);
  ({ url } = await service.start());
});
after(() => service.stop());

const order = { id: "ord_1", user: "ada", sku: "mug", qty: 2, cents: 2500 };

test("an order placed becomes an issued invoice", async () => {
  assert.equal((await fetch(`${url}/invoices/ord_1`)).status, 404);
  await events.publish(TOPICS.orderPlaced, order);
  const invoice = await (await fetch(`${url}/invoices/ord_1`)).json();
  assert.deepEqual(invoice, {
    order: "ord_1", state: "issued", user: "ada", lines: [{ sku: "mug", qty: 2 }], cents: 2500, total: "€25.00",
  });
});

test("an event delivered twice issues one invoice", async () => {
  await events.publish(TOPICS.orderPlaced, { ...order, cents: 1 });
  assert.equal((await (await fetch(`${url}/invoices/ord_1`)).json()).cents, 2500);
});

test("billing is healthy once subscribed", async () => {
  assert.equal((await fetch(`${url}/health`)).status, 200);
});
