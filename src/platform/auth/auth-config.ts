import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import { GatewayAuthenticator, JwtAuthenticator, type Authenticator } from "./authenticator.js";

/**
 * The HS256 key a development instance signs and checks tokens with when none is configured,
 * kept in the data directory so `npm run token` can sign with it too. Production refuses to start
 * without a key (config.ts), so this never runs there.
 */
export function developmentSecret(dataDir: string): { secret: Uint8Array; path: string; created: boolean } {
  const path = join(dataDir, "dev-jwt-secret");
  const created = !existsSync(path);
  if (created) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600 });
  }
  return { secret: new TextEncoder().encode(readFileSync(path, "utf8").trim()), path, created };
}

export function signingSecret(config: Config): Uint8Array | undefined {
  const { auth } = config;
  if (auth.secret) return new TextEncoder().encode(auth.secret);
  if (auth.jwksUrl) return undefined;
  return developmentSecret(config.database.dataDir).secret;
}

export function createAuthenticator(config: Config, log: Logger): Authenticator {
  const { auth } = config;
  if (auth.mode === "gateway") {
    log.warn("AUTH_MODE=gateway: callers are whoever the x-user-id header says; only safe behind a trusted gateway");
    return new GatewayAuthenticator();
  }
  if (auth.secret) return new JwtAuthenticator({ secret: new TextEncoder().encode(auth.secret) }, auth.issuer, auth.audience);
  if (auth.jwksUrl) return new JwtAuthenticator({ jwksUrl: auth.jwksUrl }, auth.issuer, auth.audience);
  const dev = developmentSecret(config.database.dataDir);
  log.warn({ keyFile: dev.path, created: dev.created }, "development signing key in use (no JWT_SECRET or JWT_JWKS_URL); `npm run token` prints tokens for it");
  return new JwtAuthenticator({ secret: dev.secret }, auth.issuer, auth.audience);
}

/** A token this service accepts, signed with its HS256 key: for `npm run token` and the development page. */
export function signToken(config: Config, secret: Uint8Array, userId: string, roles: readonly string[], ttl = "1h"): Promise<string> {
  return new SignJWT({ roles: [...roles] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuer(config.auth.issuer)
    .setAudience(config.auth.audience)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(secret);
}
