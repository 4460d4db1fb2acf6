import { createHash, timingSafeEqual } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { LRUCache } from "lru-cache";
import { UnauthenticatedError } from "../errors/domain-errors.js";
import { isUserId } from "../validation.js";
import { ROLES, type Principal, type Role } from "./principal.js";
import { CapabilityTokens, capabilityUserId, RESERVED_USER_ID } from "./capabilities.js";

export interface Authenticator {
  authenticate(headers: Headers): Promise<Principal>;
}

export type JwtKey = { readonly secret: Uint8Array } | { readonly jwksUrl: string };

export interface JwtRules {
  readonly issuer: string;
  readonly audience: string;
  /** How far the caller's clock may be off when exp and nbf are checked. */
  readonly clockToleranceS: number;
}

function rolesFrom(claim: unknown): Role[] {
  const names: unknown[] = Array.isArray(claim) ? claim : typeof claim === "string" ? claim.split(/[\s,]+/) : [];
  const roles = names.filter((name): name is Role => typeof name === "string" && (ROLES as readonly string[]).includes(name));
  return roles.length ? roles : ["customer"];
}

function principalOf(userId: unknown, roles: unknown, sellerId?: unknown): Principal {
  if (typeof userId !== "string" || !isUserId(userId)) {
    throw new UnauthenticatedError("the caller's user id must be 1-128 letters, digits, or . _ : @ -");
  }
  // Guests and order links act under these; a user id that looked like one could read their orders.
  if (RESERVED_USER_ID.test(userId)) throw new UnauthenticatedError('a user id may not start with "guest:", "link:" or "anonymous:"');
  const granted = rolesFrom(roles);
  if (!granted.includes("seller")) return { userId, roles: granted };
  // A seller is narrowed to its own items: without a seller id there is nothing to narrow to.
  if (typeof sellerId !== "string" || !isUserId(sellerId)) {
    throw new UnauthenticatedError("a seller's token must carry a seller_id claim of 1-128 letters, digits, or . _ : @ -");
  }
  return { userId, roles: granted, sellerId };
}

/** A verified token is trusted again without verifying for at most this long, and never past its expiry. */
const VERIFIED_TTL_MS = 60_000;

/**
 * Bearer JWTs verified with jose: HS256 with a shared secret, or RS256/ES256 keys from a JWKS
 * URL. Issuer, audience, exp (required) and nbf are checked; unsigned (alg "none") tokens never
 * verify. Callers send the same token on every call, so verified tokens are remembered (by their
 * exact text, signature included) until they expire or a minute has passed: verifying cost a
 * measurable share of a cheap read's CPU.
 */
export class JwtAuthenticator implements Authenticator {
  private readonly key;
  private readonly algorithms: string[];
  private readonly verified = new LRUCache<string, { principal: Principal; expiresAt: number }>({ max: 10_000 });

  constructor(
    key: JwtKey,
    private readonly rules: JwtRules,
  ) {
    this.key = "secret" in key ? key.secret : createRemoteJWKSet(new URL(key.jwksUrl));
    this.algorithms = "secret" in key ? ["HS256"] : ["RS256", "ES256", "PS256", "EdDSA"];
  }

  async authenticate(headers: Headers): Promise<Principal> {
    const token = bearerOf(headers);
    if (token === undefined) throw new UnauthenticatedError("an authorization header with a bearer token is required");
    if (!token) throw new UnauthenticatedError('the authorization header must be "Bearer <JWT>"');
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.principal;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as Parameters<typeof jwtVerify>[1], {
        issuer: this.rules.issuer,
        audience: this.rules.audience,
        algorithms: this.algorithms,
        requiredClaims: ["exp"],
        clockTolerance: this.rules.clockToleranceS,
      }));
    } catch (error) {
      throw new UnauthenticatedError(`invalid token: ${describe(error)}`);
    }
    const principal = principalOf(payload.sub, payload.roles ?? payload.role, payload.seller_id);
    const expiresAt = Math.min(Date.now() + VERIFIED_TTL_MS, (payload.exp! + this.rules.clockToleranceS) * 1000);
    this.verified.set(token, { principal, expiresAt });
    return principal;
  }
}

/** The token of a "Bearer <JWT>" header; "" when the header is something else, undefined when absent. */
function bearerOf(headers: Headers): string | undefined {
  const header = headers.get("authorization");
  if (!header) return undefined;
  return /^Bearer ([\w-]+\.[\w-]+\.[\w-]*)$/.exec(header.trim())?.[1] ?? "";
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return 'claim "nbf" is in the future: not valid yet';
    return `claim "${error.claim}" ${error.reason === "check_failed" ? "does not match" : error.reason}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "signature does not verify";
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed";
  return "malformed";
}

export const GATEWAY_SECRET_HEADER = "x-gateway-secret";

/**
 * Behind an API gateway that has already authenticated the caller: the user id and roles come
 * from headers it sets. With a secret configured (production requires one), a call counts as the
 * gateway's only when it carries the secret, compared in constant time; without one (development
 * only) anyone who reaches the port is believed.
 */
export class GatewayAuthenticator implements Authenticator {
  private readonly secretDigest: Buffer | undefined;

  constructor(secret: string | undefined) {
    this.secretDigest = secret === undefined ? undefined : digest(secret);
  }

  async authenticate(headers: Headers): Promise<Principal> {
    if (this.secretDigest && !timingSafeEqual(digest(headers.get(GATEWAY_SECRET_HEADER) ?? ""), this.secretDigest)) {
      throw new UnauthenticatedError(`${GATEWAY_SECRET_HEADER} is missing or wrong: this call did not come through the gateway`);
    }
    const userId = headers.get("x-user-id");
    if (!userId) throw new UnauthenticatedError("x-user-id is missing: the gateway did not authenticate this call");
    return principalOf(userId, headers.get("x-user-roles") ?? "", headers.get("x-seller-id") ?? undefined);
  }
}

/** Equal-length digests, so the comparison takes the same time whatever the length of the guess. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/**
 * The service's own capability tokens (a guest's cart token, an order link) in front of the
 * identity authenticator: a bearer token whose header says it is one is verified with the
 * service's key and acts under its capability only; anything else goes to the identity check.
 */
export class CapabilityAuthenticator implements Authenticator {
  constructor(
    private readonly tokens: CapabilityTokens,
    private readonly identity: Authenticator,
  ) {}

  async authenticate(headers: Headers): Promise<Principal> {
    const token = bearerOf(headers);
    if (!token || !CapabilityTokens.isCapability(token)) return this.identity.authenticate(headers);
    const capability = await this.tokens.verify(token);
    return { userId: capabilityUserId(capability), roles: ["customer"], capability };
  }
}
