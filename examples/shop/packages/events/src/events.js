import mqtt from "mqtt";

/** The topics the shop publishes on, one per kind of event. */
export const TOPICS = Object.freeze({ orderPlaced: "shop/orders/placed" });

const withTimeout = (promise, ms, what) =>
  Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer from the broker in ${ms} ms`)), ms).unref()),
  ]);

/**
 * Events over the MQTT broker at `url` (mqtt://host:port).
 *
 * Publishing uses QoS 1 and resolves once the broker has acknowledged the
 * event, so a caller that answers "created" knows the event is stored.
 * A `durable` subscriber has a persistent session (clean: false) under its
 * `clientId`: the broker keeps the events published while it is down and
 * delivers them when it comes back, at least once, so handlers must be
 * idempotent. The client reconnects by itself; `connected()` says whether
 * it is connected now (a readiness check).
 */
export function connectEvents(url, { clientId, durable = false, log, publishTimeoutMs = 2000 } = {}) {
  if (durable && !clientId) throw new TypeError("a durable subscriber needs its own clientId");
  const options = { clean: !durable, reconnectPeriod: 500, connectTimeout: 2000, ...(clientId && { clientId }) };
  const client = mqtt.connect(url, options);
  const handlers = new Map();
  client.on("connect", () => log?.info("connected to the broker", { url }));
  client.on("offline", () => log?.warn("broker unreachable", { url }));
  client.on("error", (error) => log?.warn("broker error", { url, error: error.message }));
  client.on("message", async (topic, payload) => {
    const handler = handlers.get(topic);
    if (!handler) return;
    try {
      await handler(JSON.parse(payload.toString("utf8")));
    } catch (error) {
      log?.error("event handler failed", { topic, error: error.message });
    }
  });
  return {
    connected: () => client.connected,
    publish: (topic, event) =>
      withTimeout(client.publishAsync(topic, JSON.stringify(event), { qos: 1 }), publishTimeoutMs, `publish ${topic}`),
    async subscribe(topic, handler) {
      handlers.set(topic, handler);
      // Subscribed again on every reconnect that lost the session; resubscribe is mqtt.js's default.
      await client.subscribeAsync(topic, { qos: 1 });
    },
    // Waits for the acknowledgements in flight when connected; disconnected, none can come.
    close: () => client.endAsync(!client.connected),
  };
}

/**
 * The same interface in memory, for unit tests of a service's own logic:
 * every published event goes to this bus's subscribers at once.
 */
export function memoryEvents() {
  const handlers = new Map();
  const published = [];
  return {
    published,
    connected: () => true,
    async publish(topic, event) {
      published.push({ topic, event });
      await handlers.get(topic)?.(structuredClone(event));
    },
    async subscribe(topic, handler) {
      handlers.set(topic, handler);
    },
    close: async () => {},
  };
}
