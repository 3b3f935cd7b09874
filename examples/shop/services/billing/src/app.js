import { formatPrice } from "@shop/core";
import { connectEvents, TOPICS } from "@shop/events";
import { createService } from "@shop/server";

/**
 * The billing worker. It consumes the "order placed" events from the broker
 * (EVENTS_URL) under a durable session, so orders placed while it is down
 * are invoiced when it comes back, and issues one invoice per order (an
 * event delivered twice changes nothing). GET /invoices/:order shows it;
 * /health answers 503 until it is subscribed.
 */
export function createBilling(env = process.env, events = undefined) {
  const invoices = new Map();
  let subscribed = false;
  const service = createService({
    name: "billing",
    defaultPort: 4003,
    env,
    checks: {
      events: async () => {
        if (!subscribed || !bus.connected()) throw new Error("not subscribed to the broker");
      },
    },
    routes: {
      "GET /invoices/:order": ({ params }) =>
        invoices.has(params.order)
          ? { status: 200, body: invoices.get(params.order) }
          : { status: 404, body: { error: `no invoice for order "${params.order}"` } },
    },
  });
  const bus = events ?? connectEvents(env.EVENTS_URL || "mqtt://127.0.0.1:1883", { clientId: "shop-billing", durable: true, log: service.log });

  function invoice(order) {
    if (invoices.has(order.id)) return;
    invoices.set(order.id, {
      order: order.id,
      state: "issued",
      user: order.user,
      lines: [{ sku: order.sku, qty: order.qty }],
      cents: order.cents,
      total: formatPrice(order.cents),
    });
    service.log.info("invoice issued", { order: order.id, cents: order.cents });
  }

  return {
    ...service,
    async start() {
      bus.subscribe(TOPICS.orderPlaced, invoice).then(
        () => (subscribed = true),
        (error) => service.log.error("cannot subscribe", { error: error.message }),
      );
      return service.start();
    },
    async stop() {
      await service.stop();
      await bus.close();
    },
  };
}
