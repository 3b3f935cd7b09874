/**
 * Where a service listens: HOST and PORT from the environment, so that a
 * process manager (PM2 under cigen) or a test can place it, with a default
 * port for a developer who just runs it.
 */
export function listenAddress(env, defaultPort) {
  const host = env.HOST || "127.0.0.1";
  const raw = env.PORT ?? String(defaultPort);
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 0 || port > 65535) {
    throw new RangeError(`PORT must be a number from 0 to 65535, got "${raw}"`);
  }
  return { host, port };
}
