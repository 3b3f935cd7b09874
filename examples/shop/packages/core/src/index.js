export { formatPrice } from "./money.js";
export { newId } from "./ids.js";
export { listenAddress } from "./address.js";
export { createLogger } from "./log.js";
