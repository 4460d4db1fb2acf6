import { errors, jwtVerify, SignJWT } from "jose";
import { UnauthenticatedError } from "../errors/domain-errors.js";

/**
 * What one of the service's own tokens grants, instead of a user's identity: a guest's one cart,
 * or reading one order (an order link). `anonymous` is a caller with no token at all, let through
 * only to start a guest cart.
 */
export type Capability =
  | { readonly kind: "anonymous" }
  | { readonly kind: "guest-cart"; readonly cartId: string }
  | { readonly kind: "order-link"; readonly orderId: string; readonly linkId: string };

/** The JWT `typ` that tells the service's capability tokens from identity tokens, before any verifying. */
const TYPE = "cap+jwt";
const ISSUER = "order-service";
/**
 * The encoded protected header every capability token starts with (the service signs them all
 * alike): telling one from an identity token is a prefix test on every call, not a decode.
 */
const HEADER_PREFIX = `${Buffer.from(JSON.stringify({ alg: "HS256", typ: TYPE })).toString("base64url")}.`;

/**
 * Signs and verifies capability tokens: HS256 JWTs with the service's own key, an audience per
 * kind ("guest-cart", "order-link"), the cart or order as subject, a link's id as `jti`, and an
 * expiry. Signing the same claims gives the same token, so an order link can be handed out again
 * from what is stored (its id and expiry) without storing the token itself.
 */
export class CapabilityTokens {
  constructor(private readonly key: Uint8Array) {}

  /** True for a token of this kind (by its header alone); it still has to verify. */
  static isCapability(token: string): boolean {
    return token.startsWith(HEADER_PREFIX);
  }

  async guestCart(cartId: string, issuedAt: Date, expiresAt: Date): Promise<string> {
    return this.sign({}, "guest-cart", cartId, issuedAt, expiresAt);
  }

  async orderLink(link: { id: string; orderId: string; createdAt: Date; expiresAt: Date }): Promise<string> {
    return this.sign({ jti: link.id }, "order-link", link.orderId, link.createdAt, link.expiresAt);
  }

  async verify(token: string): Promise<Capability> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: ["guest-cart", "order-link"],
        algorithms: ["HS256"],
        typ: TYPE,
        requiredClaims: ["exp", "sub"],
      });
      const audience = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
      if (audience === "guest-cart") return { kind: "guest-cart", cartId: payload.sub! };
      if (audience === "order-link" && payload.jti) return { kind: "order-link", orderId: payload.sub!, linkId: payload.jti };
      throw new UnauthenticatedError("invalid token: not a guest cart token or order link");
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      throw new UnauthenticatedError(`invalid ${error instanceof errors.JWTExpired ? "token: expired" : "token"}`);
    }
  }

  private async sign(claims: Record<string, string>, audience: string, subject: string, issuedAt: Date, expiresAt: Date) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: TYPE })
      .setIssuer(ISSUER)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.key);
  }
}

/** The user id a capability acts under: never a user's (identity tokens may not claim these prefixes). */
export function capabilityUserId(capability: Capability): string {
  if (capability.kind === "guest-cart") return `${GUEST_PREFIX}${capability.cartId}`;
  if (capability.kind === "order-link") return `link:${capability.linkId}`;
  return "anonymous:";
}

export const GUEST_PREFIX = "guest:";
/** User ids of capabilities; an identity token claiming one is refused. */
export const RESERVED_USER_ID = /^(guest|link|anonymous):/;
