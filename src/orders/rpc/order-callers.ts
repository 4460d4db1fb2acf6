import { isStaff, type Principal } from "../../platform/auth/principal.js";
import { PermissionDeniedError } from "../../platform/errors/domain-errors.js";
import type { Reader } from "../store/order-queries.js";

/*
 * Which orders a caller's calls are about, narrowed as ORDER_ACCESS (order-access.ts) says: a
 * customer its own, a seller those holding its items, staff all.
 */

/** What the caller may read of orders; staff are narrowed to nothing. */
export function readerOf(principal: Principal): Reader {
  if (principal.capability?.kind === "order-link") return { linkId: principal.capability.linkId };
  if (isStaff(principal)) return {};
  return principal.sellerId !== undefined ? { sellerId: principal.sellerId } : { ownerId: principal.userId };
}

/** Whose order CreateOrder places: nobody named means the caller; staff name anyone, a customer only themself. */
export function buyerOf(principal: Principal, requested: string): string {
  if (!requested || requested === principal.userId) return principal.userId;
  if (isStaff(principal)) return requested;
  throw new PermissionDeniedError("customers place orders for themselves only");
}
