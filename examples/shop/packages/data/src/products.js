/** The shop's products; prices in cents. The recommend service tags the same ids. */
export const PRODUCTS = Object.freeze([
  { id: "mug", name: "Enamel mug", priceCents: 1250 },
  { id: "kettle", name: "Stovetop kettle", priceCents: 3900 },
  { id: "grinder", name: "Hand coffee grinder", priceCents: 5400 },
  { id: "beans", name: "Single-origin beans, 250 g", priceCents: 1100 },
  { id: "filter", name: "Paper filters, 100", priceCents: 450 },
]);
