import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectEvents } from "@shop/events";
import { createBroker } from "../src/broker.js";

let broker;
let url;
const clients = [];
const connect = (clientId) => {
  const events = connectEvents(url, { clientId, durable: true });
  clients.push(events);
  return events;
};
const received = () => {
  let resolve;
  const next = new Promise((r) => (resolve = r));
  return { next, handler: (event) => resolve(event) };
};

before(async () => {
  broker = await createBroker({ HOST: "127.0.0.1", PORT: "0" });
  ({ url } = await broker.start());
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await broker.stop();
});

test("an event published with QoS 1 reaches a subscriber", async () => {
  const inbox = received();
  await connect("sub-a").subscribe("t/a", inbox.handler);
  await connect("pub-a").publish("t/a", { id: 1 });
  assert.deepEqual(await inbox.next, { id: 1 });
});

test("a subscriber gets the topics it subscribed to, and no other", async () => {
  const inbox = received();
  await connect("sub-c").subscribe("t/c", inbox.handler);
  const publisher = connect("pub-c");
  await publisher.publish("t/other", { id: "other" });
  await publisher.publish("t/c", { id: 3 });
  assert.deepEqual(await inbox.next, { id: 3 });
});

test("a subscriber that comes back under its client id gets what was published while it was away", async () => {
  const first = connect("sub-b");
  await first.subscribe("t/b", () => {});
  await first.close();
  await connect("pub-b").publish("t/b", { id: 2 });
  const inbox = received();
  await connect("sub-b").subscribe("t/b", inbox.handler);
  assert.deepEqual(await inbox.next, { id: 2 });
});
