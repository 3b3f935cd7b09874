export { Catalog } from "./catalog.js";
export { cartTotal } from "./cart.js";
export { PRODUCTS } from "./products.js";
