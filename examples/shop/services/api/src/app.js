import { newId } from "@shop/core";
import { Catalog, cartTotal } from "@shop/data";
import { connectEvents, TOPICS } from "@shop/events";
import { createService, getJson, httpDependency, sendJson } from "@shop/server";

// How long the API waits for recommendations: past it, a product goes without them.
const RELATED_TIMEOUT_MS = 500;

/**
 * The API service. It needs auth (AUTH_URL), recommend (RECOMMEND_URL),
 * inventory (INVENTORY_URL) and the broker (EVENTS_URL): its /health answers
 * 503 until each is there.
 *
 * Recommendations are optional: when recommend is down or slow, a product
 * comes without related products and /products/:id/related answers 503 in
 * time, never hanging. Orders need a token auth verifies; stock is the
 * inventory's, and the API keeps its own view of it, updated from every
 * reservation it makes.
 */
export function createApi(env = process.env, events = undefined) {
  const authUrl = env.AUTH_URL || "http://127.0.0.1:4001";
  const recommendUrl = env.RECOMMEND_URL || "http://127.0.0.1:4002";
  const inventoryUrl = env.INVENTORY_URL || "http://127.0.0.1:4004";
  const catalog = new Catalog();
  const stock = new Map(); // sku -> count, as the inventory last said

  async function related(id) {
    const url = `${recommendUrl}/recommend?item=${encodeURIComponent(id)}`;
    const { items } = await getJson(url, { timeoutMs: RELATED_TIMEOUT_MS });
    return items.map((item) => catalog.get(item)).filter(Boolean);
  }

  /** The user a bearer token belongs to, as auth says, or an answer refusing the request. */
  async function signedIn(headers) {
    const token = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
    if (!token) return { refused: { status: 401, body: { error: "sign in first" } } };
    try {
      return await getJson(`${authUrl}/verify?token=${encodeURIComponent(token)}`);
    } catch (error) {
      return { refused: { status: error.status === 401 ? 401 : 502, body: { error: error.message } } };
    }
  }

  /** Reserve `qty` of `sku` at the inventory; the answer, and the API's view of the stock updated. */
  async function reserve(sku, qty) {
    const answer = await sendJson(`${inventoryUrl}/reservations`, { sku, qty });
    if (answer.status === 201) stock.set(sku, answer.body.stock);
    return answer;
  }

  const service = createService({
    name: "api",
    defaultPort: 4000,
    env,
    checks: {
      auth: httpDependency(authUrl),
      recommend: httpDependency(recommendUrl),
      inventory: httpDependency(inventoryUrl),
      events: async () => {
        if (!bus.connected()) throw new Error("not connected to the broker");
      },
    },
    routes: {
      "GET /products": () => ({ status: 200, body: { products: catalog.list() } }),
      "GET /products/:id": async ({ params }) => {
        const product = catalog.get(params.id);
        if (!product) return { status: 404, body: { error: `no product "${params.id}"` } };
        const others = await related(product.id).catch(() => []);
        return { status: 200, body: { product, related: others } };
      },
      "GET /products/:id/related": async ({ params }) => {
        if (!catalog.get(params.id)) return { status: 404, body: { error: `no product "${params.id}"` } };
        try {
          return { status: 200, body: { product: params.id, related: await related(params.id) } };
        } catch (error) {
          return { status: 503, body: { error: "recommendations are unavailable", reason: error.message } };
        }
      },
      "POST /cart/total": ({ body }) => {
        try {
          return { status: 200, body: cartTotal(catalog, body?.lines ?? []) };
        } catch (error) {
          return { status: 400, body: { error: error.message } };
        }
      },
      "POST /cart": async ({ body }) => {
        const { sku, qty = 1 } = body ?? {};
        const answer = await reserve(sku, qty);
        return answer.status === 201 ? { status: 201, body: { sku, qty, stock: answer.body.stock } } : answer;
      },
      "GET /stock/:sku": async ({ params }) => {
        if (!stock.has(params.sku)) {
          const answer = await getJson(`${inventoryUrl}/items/${encodeURIComponent(params.sku)}`).catch((e) => e);
          if (answer instanceof Error) return { status: answer.status ?? 502, body: { error: answer.message } };
          stock.set(params.sku, answer.stock);
        }
        return { status: 200, body: { sku: params.sku, count: stock.get(params.sku) } };
      },
      "GET /me": async ({ headers }) => {
        const me = await signedIn(headers);
        return me.refused ?? { status: 200, body: me };
      },
      "POST /orders": async ({ headers, body }) => {
        const me = await signedIn(headers);
        if (me.refused) return me.refused;
        const { sku, qty = 1 } = body ?? {};
        const lines = [{ id: sku, quantity: qty }];
        let total;
        try {
          total = cartTotal(catalog, lines);
        } catch (error) {
          return { status: 400, body: { error: error.message } };
        }
        const reserved = await reserve(sku, qty);
        if (reserved.status !== 201) return reserved;
        const order = { id: newId("ord"), user: me.user, sku, qty, cents: total.cents, state: "placed" };
        try {
          await bus.publish(TOPICS.orderPlaced, order);
        } catch (error) {
          service.log.error("order event not published", { order: order.id, error: error.message });
          return { status: 503, body: { error: "orders cannot be placed now", reason: error.message } };
        }
        service.log.info("order placed", { order: order.id, sku, qty });
        return { status: 201, body: order };
      },
    },
  });
  const bus = events ?? connectEvents(env.EVENTS_URL || "mqtt://127.0.0.1:1883", { log: service.log });
  return {
    ...service,
    async stop() {
      await service.stop();
      await bus.close();
    },
  };
}
