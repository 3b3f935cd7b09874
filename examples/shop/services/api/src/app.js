import { Catalog, cartTotal } from "@shop/data";
import { createService, getJson, httpDependency } from "@shop/server";

/**
 * The API service. It needs auth (AUTH_URL) and recommend (RECOMMEND_URL):
 * its /health answers 503 until both answer theirs.
 */
export function createApi(env = process.env) {
  const authUrl = env.AUTH_URL || "http://127.0.0.1:4001";
  const recommendUrl = env.RECOMMEND_URL || "http://127.0.0.1:4002";
  const catalog = new Catalog();

  async function related(id) {
    const { items } = await getJson(`${recommendUrl}/recommend?item=${encodeURIComponent(id)}`);
    return items.map((item) => catalog.get(item)).filter(Boolean);
  }

  return createService({
    name: "api",
    defaultPort: 4000,
    env,
    checks: { auth: httpDependency(authUrl), recommend: httpDependency(recommendUrl) },
    routes: {
      "GET /products": () => ({ status: 200, body: { products: catalog.list() } }),
      "GET /products/:id": async ({ params }) => {
        const product = catalog.get(params.id);
        if (!product) return { status: 404, body: { error: `no product "${params.id}"` } };
        return { status: 200, body: { product, related: await related(product.id) } };
      },
      "POST /cart/total": ({ body }) => {
        try {
          return { status: 200, body: cartTotal(catalog, body?.lines ?? []) };
        } catch (error) {
          return { status: 400, body: { error: error.message } };
        }
      },
      "GET /me": async ({ headers }) => {
        const token = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
        if (!token) return { status: 401, body: { error: "sign in first" } };
        try {
          return { status: 200, body: await getJson(`${authUrl}/verify?token=${encodeURIComponent(token)}`) };
        } catch (error) {
          return { status: error.status === 401 ? 401 : 502, body: { error: error.message } };
        }
      },
    },
  });
}
