import { createServer } from "node:http";
import { createLogger, listenAddress } from "@shop/core";

const json = (status, body) => ({ status, body });

function compile(routes) {
  return Object.entries(routes).map(([key, handler]) => {
    const [method, path] = key.split(" ");
    const names = [];
    const pattern = path.replace(/:([a-z]+)/g, (_, name) => (names.push(name), "([^/]+)"));
    return { method, regex: new RegExp(`^${pattern}$`), names, handler };
  });
}

async function readBody(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : null;
}

/**
 * An HTTP service with `routes` ({"GET /products/:id": handler}) and a
 * GET /health that answers 200 when every readiness check passes, 503 with
 * the reason of each failing check otherwise.
 */
export function createService({ name, defaultPort, routes = {}, checks = {}, env = process.env }) {
  const log = createLogger(name);
  const table = compile(routes);

  async function health() {
    const results = {};
    let ok = true;
    for (const [check, probe] of Object.entries(checks)) {
      try {
        await probe();
        results[check] = "ok";
      } catch (error) {
        ok = false;
        results[check] = error.cause?.code ?? error.cause?.message ?? error.message;
      }
    }
    return json(ok ? 200 : 503, { status: ok ? "ok" : "unavailable", service: name, checks: results });
  }

  async function handle(request) {
    const url = new URL(request.url, "http://service.invalid");
    if (request.method === "GET" && url.pathname === "/health") return health();
    for (const route of table) {
      const match = route.regex.exec(url.pathname);
      if (!match || route.method !== request.method) continue;
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1])]));
      const body = request.method === "GET" ? null : await readBody(request);
      return route.handler({ params, query: url.searchParams, headers: request.headers, body });
    }
    return json(404, { error: `no route for ${request.method} ${url.pathname}` });
  }

  const server = createServer((request, response) => {
    handle(request)
      .catch((error) => {
        log.error("request failed", { path: request.url, error: error.message });
        return json(error instanceof SyntaxError ? 400 : 500, { error: error.message });
      })
      .then(({ status, body, contentType = "application/json" }) => {
        const text = contentType === "application/json" ? JSON.stringify(body) : body;
        response.writeHead(status, { "content-type": contentType }).end(text);
      });
  });

  return {
    log,
    /** Listen on HOST:PORT from `env`; resolves with the address once bound. */
    start() {
      const { host, port } = listenAddress(env, defaultPort);
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const bound = server.address().port;
          const url = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
          log.info("listening", { url });
          resolve({ url, port: bound });
        });
      });
    },
    stop() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** Start `service` as the process's main job: exit 1 when it cannot listen, stop cleanly on SIGTERM/SIGINT. */
export async function runService(service) {
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.once(signal, async () => {
      service.log.info("stopping", { signal });
      await service.stop();
      process.exit(0);
    });
  }
  try {
    await service.start();
  } catch (error) {
    service.log.error("cannot listen", { error: error.message });
    process.exit(1);
  }
}
