import { formatPrice } from "@shop/core";

/** The total of `lines` ([{id, quantity}]) priced from `catalog`; unknown ids are an error. */
export function cartTotal(catalog, lines) {
  let cents = 0;
  for (const { id, quantity } of lines) {
    const product = catalog.get(id);
    if (!product) throw new RangeError(`no product "${id}" in the catalog`);
    if (!Number.isInteger(quantity) || quantity < 1) throw new RangeError(`quantity of "${id}" must be 1 or more`);
    cents += product.priceCents * quantity;
  }
  return { cents, display: formatPrice(cents) };
}
