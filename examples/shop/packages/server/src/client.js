/** GET `url` and parse its JSON body; a non-2xx answer or a timeout is an error. */
export async function getJson(url, { timeoutMs = 2000, headers = {} } = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(`GET ${url} answered ${response.status}`);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  return body;
}

/**
 * A readiness check on another service: its /health must answer 2xx. A service
 * that needs another one reports itself unavailable until that one is up, so
 * a health gate (cigen up, a load balancer) never routes to it too early.
 */
export function httpDependency(baseUrl) {
  return async () => {
    await getJson(new URL("/health", baseUrl).href, { timeoutMs: 1000 });
  };
}

/** POST `body` as JSON to `url`: the answer's status and parsed body, whatever the status; a timeout is an error. */
export async function sendJson(url, body, { timeoutMs = 2000, headers = {} } = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}
