import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { CartStatus, type CartItemSchema, type CartSchema } from "../../../gen/shop/cart/v1/cart_pb.js";
import { GUEST_PREFIX } from "../../platform/auth/capabilities.js";
import { linePricesToProto, toMoneyProto } from "../../money/money-proto.js";
import { computeTotals, storedLine, type PricingPolicy } from "../../money/totals.js";
import { holdLapsed, isExpired, type CartLineView, type CartView } from "../domain/cart.js";

function itemToProto(item: CartLineView, currency: string): MessageInitShape<typeof CartItemSchema> {
  return {
    productId: item.productId,
    sku: item.sku,
    name: item.name,
    quantity: item.quantity,
    ...linePricesToProto(storedLine(currency, item)),
    imageUrl: item.imageUrl,
    variantId: item.variantId,
    sellerId: item.sellerId,
    variantAttributes: item.variantAttributes,
  };
}

/**
 * Totals are estimates with the order's rules; Checkout prices for real. No cart is an empty one
 * at version 0. `key` is the cart's owner: a user id, or "guest:<cart id>" for a guest's cart.
 */
export function cartToProto(key: string, cart: CartView | null, pricing: PricingPolicy, now: Date): MessageInitShape<typeof CartSchema> {
  const guest = key.startsWith(GUEST_PREFIX);
  const live = cart && !isExpired(cart, now) ? cart.lines : [];
  const totals = computeTotals(
    live.map((item) => storedLine(pricing.currency, item)),
    pricing,
  );
  return {
    userId: guest ? "" : key,
    cartId: guest ? key.slice(GUEST_PREFIX.length) : key,
    guest,
    status: cart?.status === "MERGED" ? CartStatus.MERGED : CartStatus.OPEN,
    mergedInto: cart?.mergedInto ?? "",
    items: live.map((item) => itemToProto(item, pricing.currency)),
    subtotal: toMoneyProto(totals.subtotal),
    tax: toMoneyProto(totals.tax),
    shipping: toMoneyProto(totals.shipping),
    total: toMoneyProto(totals.total),
    itemCount: live.reduce((count, item) => count + item.quantity, 0),
    version: BigInt(cart?.version ?? 0),
    updateTime: cart ? timestampFromDate(cart.updatedAt) : undefined,
    expireTime: cart && live.length ? timestampFromDate(cart.expiresAt) : undefined,
    holdExpireTime: cart?.reservationId && live.length && !holdLapsed(cart, now) ? timestampFromDate(cart.holdsUntil!) : undefined,
  };
}
