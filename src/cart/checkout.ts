import type { EntityManager } from "@mikro-orm/postgresql";
import type { StockLine } from "../catalog/catalog-ports.js";
import { lineKey, sellableOf } from "../catalog/sellable.js";
import { equals, money } from "../money/money.js";
import type { OrderView } from "../orders/domain/order.js";
import { placeOrder } from "../orders/place-order.js";
import { FailedPreconditionError } from "../platform/errors/domain-errors.js";
import type { RpcScope } from "../platform/rpc/rpc-scope.js";
import type { CartDeps } from "./cart-deps.js";
import { CartChangedError, type AdjustmentReason, type CartAdjustment } from "./domain/cart-errors.js";
import type { CheckoutCommand } from "./rpc/cart-requests.js";
import { mutateCart } from "./mutate-cart.js";
import { findCart } from "./store/cart-queries.js";
import { cartEvent, cartLineOf } from "./store/cart-events.js";
import { checkVersion, emptyCart, markCheckout, unmarkCheckout } from "./store/cart-repository.js";

/** A checkout's mark on its cart outlives the call's deadline by this much (its last statements may still run). */
const CHECKOUT_MARK_MARGIN_MS = 5_000;
import { Cart, isExpired, type CartView } from "./domain/cart.js";

/**
 * Re-validates every line against Product and Inventory. If anything moved, the cart is fixed
 * (lines removed, lowered or re-priced) and CartChangedError lists each fix; no order is placed.
 * Otherwise the order is placed through the same use case as CreateOrder, and the cart is
 * emptied in the order's transaction, only if it is still the version that was priced. A cart's
 * hold becomes the order's reservation in the one Inventory call that reserves it.
 */
export async function checkout(
  command: CheckoutCommand,
  scope: RpcScope,
  deps: CartDeps,
  beforeCommit: (tx: EntityManager, order: OrderView) => Promise<void>,
): Promise<OrderView> {
  const cart = await findCart(scope.em, command.userId);
  if (!cart || isExpired(cart, deps.clock.now()) || cart.lines.length === 0) {
    throw new FailedPreconditionError("CART_EMPTY", "the cart is empty; add items before checking out", [
      { type: "CART", subject: `carts/${command.userId}`, description: "has no items" },
    ]);
  }
  Cart.restore(cart).requireOpen();
  checkVersion(cart, command.expectedVersion);

  const adjustments = await revalidate(cart, deps, scope.signal);
  if (adjustments.length) {
    const fixed = await mutateCart(scope, deps, { userId: cart.userId, expectedVersion: BigInt(cart.version) }, (locked) =>
      locked.fix(
        adjustments.map((fix) => ({
          productId: fix.productId,
          variantId: fix.variantId,
          newQuantity: fix.newQuantity,
          newUnitPriceMinor: fix.newUnitPrice.amountMinor,
        })),
      ),
    );
    throw new CartChangedError(adjustments, fixed.version);
  }

  const items = cart.lines.map((item) => ({
    productId: item.productId,
    variantId: item.variantId,
    quantity: item.quantity,
    expectedUnitPrice: money(deps.pricing.currency, item.unitPriceMinor),
  }));
  const { requestId, userId, customer, shippingAddress, payment, notes } = command;
  const fromHolds = cart.reservationId ? [cart.reservationId] : [];
  const placed = { requestId, userId, customer, items, shippingAddress, payment, notes, currency: deps.pricing.currency, fromHolds };
  const now = deps.clock.now();
  await markCheckout(scope.em, cart, now, new Date(Math.max(scope.deadline, now.getTime()) + CHECKOUT_MARK_MARGIN_MS));
  try {
    return await placeOrder(placed, scope, deps, {
      beforeCommit: async (tx, order) => {
        const now = deps.clock.now();
        const target = { key: cart.userId, version: cart.version + 1, currency: cart.currency, topic: deps.cartEventsTopic };
        const lines = cart.lines.map((line) => cartLineOf(line, cart.currency));
        await emptyCart(tx, cart, now, cartEvent(target, { case: "cartCheckedOut", value: { orderId: order.id, lines } }, now));
        await beforeCommit(tx, order);
      },
    });
  } catch (error) {
    await unmarkCheckout(scope.em, cart).catch((cause: unknown) =>
      scope.log.warn({ err: cause }, "cart left marked until its checkout mark passes"),
    );
    throw error;
  }
}

/** Every line checked per product and variant: price, on sale, and stock, each fix recorded once. */
async function revalidate(cart: CartView, deps: CartDeps, signal: AbortSignal): Promise<CartAdjustment[]> {
  const { lines } = cart;
  const { found } = await deps.catalog.getProducts([...new Set(lines.map((line) => line.productId))], signal);
  const adjustments = new Map<string, CartAdjustment>();
  const adjust = (ref: StockLine, reason: AdjustmentReason, change: Partial<CartAdjustment> = {}) => {
    const key = lineKey(ref);
    const line = lines.find((candidate) => lineKey(candidate) === key)!;
    const price = money(deps.pricing.currency, line.unitPriceMinor);
    const previous = adjustments.get(key);
    adjustments.set(key, {
      productId: line.productId,
      variantId: line.variantId,
      reason,
      oldUnitPrice: price,
      newUnitPrice: previous?.newUnitPrice ?? price,
      oldQuantity: line.quantity,
      newQuantity: line.quantity,
      ...change,
    });
  };

  for (const line of lines) {
    const product = found.get(line.productId);
    const now = product && sellableOf(product, line.variantId);
    // A variant the product no longer has is as gone as an unknown product.
    if (!now || "problem" in now) adjust(line, "UNKNOWN_PRODUCT", { newQuantity: 0 });
    else if (!now.active) adjust(line, "INACTIVE", { newQuantity: 0 });
    else if (!equals(now.price, money(deps.pricing.currency, line.unitPriceMinor))) adjust(line, "REPRICED", { newUnitPrice: now.price });
  }
  const sellable = lines.filter((line) => adjustments.get(lineKey(line))?.newQuantity !== 0);
  if (sellable.length) {
    // What the cart's own hold holds counts as available to it, lapsed or not.
    const availability = await deps.inventory.check(
      sellable.map((line) => ({ productId: line.productId, variantId: line.variantId, quantity: line.quantity })),
      signal,
      cart.reservationId,
    );
    for (const stock of availability) {
      if (stock.available >= stock.quantity) continue;
      const available = Math.max(stock.available, 0);
      adjust(stock, available === 0 ? "OUT_OF_STOCK" : "SHORT_OF_STOCK", { newQuantity: available });
    }
  }
  return [...adjustments.values()];
}
