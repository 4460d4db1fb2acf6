import { SignJWT } from "jose";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import { developmentKey } from "../development-keys.js";
import { GatewayAuthenticator, JwtAuthenticator, type Authenticator } from "./authenticator.js";

const DEVELOPMENT_JWT_KEY = "dev-jwt-secret";

/**
 * True only in development, in JWT mode, with no key configured: then, and only then, tokens
 * are checked and signed with the development key. Any key configuration (JWT_SECRET,
 * JWT_JWKS_URL) turns every development tool off, so nothing can sign with a production key.
 */
export function usesDevelopmentKey(config: Config): boolean {
  const { auth } = config;
  return config.environment === "development" && auth.mode === "jwt" && !auth.secret && !auth.jwksUrl;
}

/** The development signing key, or undefined when this instance does not use it. */
export function developmentSigningKey(config: Config): Uint8Array | undefined {
  return usesDevelopmentKey(config) ? developmentKey(config.database.dataDir, DEVELOPMENT_JWT_KEY).key : undefined;
}

export function createAuthenticator(config: Config, log: Logger): Authenticator {
  const { auth } = config;
  const rules = { issuer: auth.issuer, audience: auth.audience, clockToleranceS: auth.clockToleranceS };
  if (auth.mode === "gateway") {
    if (!auth.gatewaySecret) log.warn("AUTH_MODE=gateway without GATEWAY_SECRET: callers are whoever x-user-id says; development only");
    return new GatewayAuthenticator(auth.gatewaySecret);
  }
  if (auth.secret) return new JwtAuthenticator({ secret: new TextEncoder().encode(auth.secret) }, rules);
  if (auth.jwksUrl) return new JwtAuthenticator({ jwksUrl: auth.jwksUrl }, rules);
  const dev = developmentKey(config.database.dataDir, DEVELOPMENT_JWT_KEY);
  log.warn(
    { keyFile: dev.path, created: dev.created },
    "development signing key in use (no JWT_SECRET or JWT_JWKS_URL); `npm run token` prints tokens for it",
  );
  return new JwtAuthenticator({ secret: dev.key }, rules);
}

/** A development token for `npm run token` and the development page, signed with the development key. */
export function signDevelopmentToken(
  config: Config,
  key: Uint8Array,
  userId: string,
  roles: readonly string[],
  ttl = "1h",
  sellerId?: string,
): Promise<string> {
  return new SignJWT({ roles: [...roles], ...(sellerId ? { seller_id: sellerId } : {}) })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuer(config.auth.issuer)
    .setAudience(config.auth.audience)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(key);
}
