import { getJson } from "@shop/server";

/** A typed way for other packages (the web app) to call the API at `baseUrl`. */
export function createApiClient(baseUrl) {
  const url = (path) => new URL(path, baseUrl).href;
  return {
    products: async () => (await getJson(url("/products"))).products,
    product: (id) => getJson(url(`/products/${encodeURIComponent(id)}`)),
    // The api's /health asks each dependency's (up to 1 s each, at once): wait for that, and for a busy machine.
    health: () => getJson(url("/health"), { timeoutMs: 3000 }),
  };
}
