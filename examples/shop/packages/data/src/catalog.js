import { formatPrice } from "@shop/core";
import { PRODUCTS } from "./products.js";

/** Read access to the products, each with its price already formatted for display. */
export class Catalog {
  #byId;

  constructor(products = PRODUCTS) {
    this.#byId = new Map(products.map((p) => [p.id, { ...p, price: formatPrice(p.priceCents) }]));
  }

  list() {
    return [...this.#byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id) {
    return this.#byId.get(id) ?? null;
  }
}
