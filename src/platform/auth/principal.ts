import type { Capability } from "./capabilities.js";

export const ROLES = ["customer", "admin", "service", "seller"] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly Role[];
  /** Set for the seller role: the seller (shop) whose items the caller fulfils. */
  readonly sellerId?: string;
  /** Set for a caller holding one of the service's own tokens (a guest's cart, an order link) instead of a user's. */
  readonly capability?: Capability;
}

/** Admins and other services act on every order and cart; customers only on their own. */
export function isStaff(principal: Principal): boolean {
  return principal.roles.includes("admin") || principal.roles.includes("service");
}
