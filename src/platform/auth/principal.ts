import { NotFoundError, PermissionDeniedError } from "../domain-errors.js";

export const ROLES = ["customer", "admin", "service", "seller"] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly Role[];
  /** Set for the seller role: the seller (shop) whose items the caller fulfils. */
  readonly sellerId?: string;
}

/** Admins and other services act on every order and cart; customers only on their own. */
export function isStaff(principal: Principal): boolean {
  return principal.roles.includes("admin") || principal.roles.includes("service");
}

/** What the caller may see of orders: a customer its own, a seller those holding its items, staff all. */
export function readerOf(principal: Principal): { readonly ownerId?: string; readonly sellerId?: string } {
  // A seller's reads are narrowed to its own items; staff see all.
  const sellerId = isStaff(principal) ? undefined : principal.sellerId;
  return sellerId !== undefined ? { sellerId } : { ownerId: ownerOf(principal) };
}

/** The owner a customer's reads and writes are narrowed to; undefined for staff. */
export function ownerOf(principal: Principal): string | undefined {
  return isStaff(principal) ? undefined : principal.userId;
}

/**
 * The user whose cart (or new order) a call is about: nobody named means the caller. Staff name
 * anyone; a customer naming another user gets what a missing cart gets (or PERMISSION_DENIED for
 * an order placed for someone else).
 */
export function actingFor(principal: Principal, requested: string, resource: "cart" | "order"): string {
  if (!requested || requested === principal.userId) return principal.userId;
  if (isStaff(principal)) return requested;
  if (resource === "cart") throw new NotFoundError("cart", requested);
  throw new PermissionDeniedError("customers place orders for themselves only");
}
