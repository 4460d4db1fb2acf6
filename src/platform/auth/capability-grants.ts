import { PermissionDeniedError } from "../errors/domain-errors.js";
import type { Capability } from "./capabilities.js";
import type { Principal } from "./principal.js";

const cart = (method: string) => `shop.cart.v1.CartService/${method}`;

/**
 * What each capability may call ("package.Service/Method"), on top of the access tables: a guest
 * cart token its own cart's calls, an order link reading its one order, a caller without a token
 * starting a guest cart. Which cart or order is narrowed by the use cases (cart-service.ts,
 * order-callers.ts).
 */
export const CAPABILITY_GRANTS: Readonly<Record<Capability["kind"], ReadonlySet<string>>> = {
  anonymous: new Set([cart("CreateGuestCart")]),
  "guest-cart": new Set(["GetCart", "AddItem", "UpdateItemQuantity", "RemoveItem", "ClearCart", "Checkout"].map(cart)),
  "order-link": new Set(["shop.order.v1.OrderService/GetOrder", "shop.order.v1.OrderService/WatchOrder"]),
};

const WHAT: Record<Capability["kind"], string> = {
  anonymous: "without a token, only CreateGuestCart may be called",
  "guest-cart": "a guest cart token grants its own cart's calls only",
  "order-link": "an order link grants GetOrder and WatchOrder of its order only",
};

export function requireCapability(principal: Principal, method: string): void {
  const capability = principal.capability;
  if (!capability || CAPABILITY_GRANTS[capability.kind].has(method)) return;
  throw new PermissionDeniedError(WHAT[capability.kind]);
}
