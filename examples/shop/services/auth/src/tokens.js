import { createHmac, timingSafeEqual } from "node:crypto";

/** What tokens are signed with when AUTH_SECRET is not set: the example's, never a real one. */
export const DEFAULT_SECRET = "shop-example-secret";

const sign = (secret, payload) => createHmac("sha256", secret).update(payload).digest("base64url");

/** A token "<user>.<expiry>.<signature>" valid for `ttlSeconds`. */
export function issue(secret, user, ttlSeconds = 3600, now = Date.now()) {
  if (!/^[\w.-]{1,64}$/.test(user)) throw new RangeError("user must be 1-64 letters, digits, '.', '_' or '-'");
  const payload = `${user}.${Math.floor(now / 1000) + ttlSeconds}`;
  return `${payload}.${sign(secret, payload)}`;
}

/** The user a token names, or null when it is forged, malformed or expired. */
export function verify(secret, token, now = Date.now()) {
  const parts = String(token).split(".");
  if (parts.length < 3) return null;
  const signature = Buffer.from(parts.pop());
  const payload = parts.join(".");
  const expected = Buffer.from(sign(secret, payload));
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return null;
  const expiry = Number(parts.pop());
  return expiry * 1000 > now ? parts.join(".") : null;
}
