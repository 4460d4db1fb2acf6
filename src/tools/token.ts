/**
 * Prints a token for grpcurl and curl against a development instance, signed with its
 * development key (DATA_DIR/dev-jwt-secret). Reads the same environment as the service and
 * refuses when a key is configured: production tokens come from the identity provider.
 *
 *   npm run -s token -- --user user-1 --role customer [--ttl 1h]
 *   npm run -s token -- --user shop-north-1 --role seller --seller seller-north
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import { developmentSigningKey, signDevelopmentToken } from "../platform/auth/auth-config.js";
import { ROLES } from "../platform/auth/principal.js";

const { values } = parseArgs({
  options: {
    user: { type: "string" },
    role: { type: "string", multiple: true },
    seller: { type: "string" },
    ttl: { type: "string", default: "1h" },
  },
});
const roles = values.role ?? ["customer"];
const unknown = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
const sellerMissing = roles.includes("seller") && !values.seller;
if (!values.user || unknown.length || sellerMissing) {
  console.error(
    `usage: npm run -s token -- --user <id> --role <${ROLES.join("|")}> [--role ...] [--seller <seller id>] [--ttl 1h]${unknown.length ? `\nunknown role: ${unknown.join(", ")}` : ""}${sellerMissing ? "\nthe seller role needs --seller <seller id>" : ""}`,
  );
  process.exit(2);
}
const config = loadConfig();
const key = developmentSigningKey(config);
if (!key) {
  console.error(
    "npm run token signs with the development key only: it works in development (APP_ENV unset or development), AUTH_MODE=jwt, " +
      "with neither JWT_SECRET nor JWT_JWKS_URL set. Get tokens for this configuration from its identity provider.",
  );
  process.exit(2);
}
console.log(await signDevelopmentToken(config, key, values.user, roles, values.ttl, values.seller));
