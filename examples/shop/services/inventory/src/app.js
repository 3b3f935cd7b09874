import { PRODUCTS } from "@shop/data";
import { createService } from "@shop/server";

/** What the shop holds of each product when the service starts. */
export const OPENING_STOCK = Object.freeze(Object.fromEntries(PRODUCTS.map((p) => [p.id, 100])));

/**
 * The inventory service, the owner of stock: GET /items/:sku reads a
 * product's stock, POST /reservations {sku, qty} takes from it (409 when
 * there is not enough) and answers with what is left.
 */
export function createInventory(env = process.env, opening = OPENING_STOCK) {
  const stock = new Map(Object.entries(opening));
  const item = (sku) => ({ sku, stock: stock.get(sku) });
  return createService({
    name: "inventory",
    defaultPort: 4004,
    env,
    routes: {
      "GET /items/:sku": ({ params }) =>
        stock.has(params.sku)
          ? { status: 200, body: item(params.sku) }
          : { status: 404, body: { error: `no product "${params.sku}"` } },
      "POST /reservations": ({ body }) => {
        const { sku, qty = 1 } = body ?? {};
        if (!stock.has(sku)) return { status: 404, body: { error: `no product "${sku}"` } };
        if (!Number.isInteger(qty) || qty < 1) return { status: 400, body: { error: "qty must be 1 or more" } };
        if (stock.get(sku) < qty) return { status: 409, body: { error: `only ${stock.get(sku)} of "${sku}" left` } };
        stock.set(sku, stock.get(sku) - qty);
        return { status: 201, body: { ...item(sku), reserved: qty } };
      },
    },
  });
}
