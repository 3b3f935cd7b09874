import { createService } from "@shop/server";
import { DEFAULT_SECRET, issue, verify } from "./tokens.js";

/** The auth service: POST /tokens {user} issues a token, GET /verify?token= names its user. */
export function createAuth(env = process.env) {
  const secret = env.AUTH_SECRET || DEFAULT_SECRET;
  return createService({
    name: "auth",
    defaultPort: 4001,
    env,
    routes: {
      "POST /tokens": ({ body }) => {
        try {
          return { status: 201, body: { token: issue(secret, body?.user ?? "") } };
        } catch (error) {
          return { status: 400, body: { error: error.message } };
        }
      },
      "GET /verify": ({ query }) => {
        const user = verify(secret, query.get("token") ?? "");
        return user ? { status: 200, body: { user } } : { status: 401, body: { error: "invalid token" } };
      },
    },
  });
}
