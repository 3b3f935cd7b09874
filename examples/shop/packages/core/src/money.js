const formats = new Map();

/** A price in minor units (cents) shown as the shop shows prices: "€12.50". */
export function formatPrice(cents, currency = "EUR") {
  if (!Number.isInteger(cents)) throw new TypeError(`price must be whole cents, got ${cents}`);
  if (!formats.has(currency)) {
    formats.set(currency, new Intl.NumberFormat("en-GB", { style: "currency", currency }));
  }
  return formats.get(currency).format(cents / 100);
}
