import { parseArgs } from "node:util";
import { DEFAULT_SECRET, issue } from "./tokens.js";

// `npm run -s token -- [--user NAME] [--ttl SECONDS]`: a token the auth service
// verifies (signed with AUTH_SECRET, as the service signs), for scripts and
// checks that act as a signed-in user, e.g. SHOP_TOKEN for `cigen verify`.
const { values } = parseArgs({
  options: { user: { type: "string", default: "ada" }, ttl: { type: "string", default: "3600" } },
});
process.stdout.write(`${issue(process.env.AUTH_SECRET || DEFAULT_SECRET, values.user, Number(values.ttl))}\n`);
