/**
 * Prints a signed token for grpcurl and curl, with the key the service checks (JWT_SECRET, or the
 * development key in DATA_DIR). Reads the same environment as the service.
 *
 *   npm run -s token -- --user user-1 --role customer [--ttl 1h]
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { signingSecret, signToken } from "../platform/auth/auth-config.js";
import { ROLES } from "../platform/auth/principal.js";

const { values } = parseArgs({
  options: { user: { type: "string" }, role: { type: "string", multiple: true }, ttl: { type: "string", default: "1h" } },
});
const roles = values.role ?? ["customer"];
const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
if (!values.user || unknown.length) {
  console.error(`usage: npm run -s token -- --user <id> --role <${ROLES.join("|")}> [--role ...] [--ttl 1h]${unknown.length ? `\nunknown role: ${unknown.join(", ")}` : ""}`);
  process.exit(2);
}
const config = loadConfig();
const secret = signingSecret(config);
if (!secret) {
  console.error("the service verifies tokens from JWT_JWKS_URL; get tokens from that identity provider");
  process.exit(2);
}
console.log(await signToken(config, secret, values.user, roles, values.ttl));
