import assert from "node:assert/strict";
import { test } from "node:test";
import { connectEvents, memoryEvents, TOPICS } from "../src/index.js";

test("a durable subscriber must name itself: the broker keeps its session by client id", () => {
  assert.throws(() => connectEvents("mqtt://127.0.0.1:1", { durable: true }), /durable subscriber needs its own clientId/);
});

test("the in-memory bus hands each event to its topic's subscriber, as a copy", async () => {
  const bus = memoryEvents();
  const seen = [];
  await bus.subscribe(TOPICS.orderPlaced, (event) => seen.push(event));
  const order = { id: "ord_1" };
  await bus.publish(TOPICS.orderPlaced, order);
  await bus.publish("shop/other", { id: "x" });
  assert.deepEqual(seen, [order]);
  assert.notEqual(seen[0], order);
});

test("publishing to a broker that does not answer fails in time, never hangs", async () => {
  const events = connectEvents("mqtt://127.0.0.1:9", { publishTimeoutMs: 200 });
  try {
    await assert.rejects(events.publish(TOPICS.orderPlaced, { id: "ord_1" }), /no answer from the broker in 200 ms/);
  } finally {
    await events.close();
  }
});
