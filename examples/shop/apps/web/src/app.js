import { readFileSync } from "node:fs";
import { createApiClient } from "@shop/api/client";
import { createService, httpDependency } from "@shop/server";
import { homePage, productPage } from "./pages.js";

const styles = readFileSync(new URL("./styles.css", import.meta.url), "utf8");
const html = (status, body) => ({ status, body, contentType: "text/html; charset=utf-8" });

/** The storefront. It needs the API (API_URL): its /health answers 503 until the API's does 200. */
export function createWeb(env = process.env) {
  const apiUrl = env.API_URL || "http://127.0.0.1:4000";
  const api = createApiClient(apiUrl);
  return createService({
    name: "web",
    defaultPort: 3000,
    env,
    checks: { api: httpDependency(apiUrl) },
    routes: {
      "GET /": async () => html(200, homePage(await api.products())),
      "GET /products/:id": async ({ params }) => {
        try {
          return html(200, productPage(await api.product(params.id)));
        } catch (error) {
          if (error.status === 404) return html(404, "<h1>Not found</h1>");
          throw error;
        }
      },
      "GET /styles.css": () => ({ status: 200, body: styles, contentType: "text/css" }),
    },
  });
}
