import type { EntityManager } from "@mikro-orm/postgresql";
import { InsufficientStockError } from "../catalog/catalog-errors.js";
import { lineKey } from "../catalog/sellable.js";
import { money } from "../money/money.js";
import { FailedPreconditionError } from "../platform/errors/domain-errors.js";
import type { CartDeps } from "./cart-deps.js";
import { followLines, type UndoHold } from "./cart-holds.js";
import type { CartAdjustment } from "./domain/cart-errors.js";
import type { Cart, CartView } from "./domain/cart.js";
import { mergeLines, type MergeMode } from "./domain/merge.js";
import type { CartLineFields } from "./domain/cart-data.js";
import type { CartScope } from "./mutate-cart.js";
import { lockCart, saveCart, type LockedCart } from "./store/cart-repository.js";
import { cartEvent, cartLineOf } from "./store/cart-events.js";
import { GUEST_PREFIX } from "../platform/auth/capabilities.js";

export interface MergeResult {
  readonly cart: CartView;
  readonly adjustments: readonly CartAdjustment[];
}

/**
 * Moves a guest cart into a signed-in user's, in one transaction holding both carts' rows
 * (locked in one order, so two merges never wait on each other crosswise): the lines combine by
 * `mode`, quantities are lowered to what stock allows (each fix reported as checkout reports
 * them), the user's new hold takes over both carts' holds in one Inventory call (never doubled),
 * and the guest cart is closed as MERGED into the user's. A guest cart merged already into this
 * user answers the user's cart as it is: a repeated or concurrent merge merges once.
 */
export async function mergeCart(
  scope: CartScope,
  deps: CartDeps,
  target: { userId: string; guestKey: string; mode: MergeMode; expectedVersion?: bigint },
  beforeCommit: (tx: EntityManager, result: MergeResult) => Promise<void>,
): Promise<MergeResult> {
  let undo: UndoHold | undefined;
  try {
    return await scope.em.transactional(async (tx) => {
      const now = deps.clock.now();
      const expiresAt = new Date(now.getTime() + deps.cart.ttlMs);
      const created = { currency: deps.pricing.currency, now, expiresAt };
      const locked = new Map<string, LockedCart>();
      for (const key of [target.userId, target.guestKey].sort()) {
        const expectedVersion = key === target.userId ? target.expectedVersion : undefined;
        locked.set(key, await lockCart(tx, { userId: key, expectedVersion }, created));
      }
      const mine = locked.get(target.userId)!;
      const guest = locked.get(target.guestKey)!;
      const result = await merge(mine, guest, target, { scope, deps, now }, (made) => (undo = made));
      if (result.merged) {
        const about = { key: target.userId, version: mine.stored.version + 1, currency: mine.stored.currency, topic: deps.cartEventsTopic };
        const merged = {
          guestCartId: target.guestKey.slice(GUEST_PREFIX.length),
          mode: target.mode,
          lines: mine.cart.view.lines.map((line) => cartLineOf(line, about.currency)),
        };
        await saveCart(tx, mine, now, expiresAt, [cartEvent(about, { case: "cartMerged", value: merged }, now)]);
        await saveCart(tx, guest, now, expiresAt);
      }
      const answer = { cart: mine.cart.view, adjustments: result.adjustments };
      await beforeCommit(tx, answer);
      return answer;
    });
  } catch (error) {
    await undo?.();
    throw error;
  }
}

interface MergeContext {
  readonly scope: CartScope;
  readonly deps: CartDeps;
  readonly now: Date;
}

async function merge(
  mine: LockedCart,
  guest: LockedCart,
  target: { userId: string; mode: MergeMode },
  context: MergeContext,
  madeHold: (undo: UndoHold) => void,
): Promise<{ merged: boolean; adjustments: CartAdjustment[] }> {
  const { deps, now } = context;
  const guestView = guest.cart.view;
  if (guestView.status === "MERGED") {
    if (guestView.mergedInto === target.userId) return { merged: false, adjustments: [] };
    throw new FailedPreconditionError("CART_MERGED", "this guest cart was merged into another cart already", [
      { type: "CART", subject: "carts/guest", description: "was merged" },
    ]);
  }
  mine.cart.requireOpen();
  if (mine.cart.isExpired(now)) mine.cart.clear();
  const guestLines = guest.cart.isExpired(now) ? [] : guestView.lines;
  mine.cart.replaceLines(mergeLines(mine.cart.view.lines, guestLines, target.mode, deps.cart.maxQuantity), deps.cart);
  const adjustments = await holdWithin(mine.cart, mine.stored, guestView.reservationId, context, madeHold);
  guest.cart.mergeInto(target.userId);
  return { merged: true, adjustments };
}

/**
 * Holds the merged lines, taking both carts' holds over; where stock cannot cover a line it is
 * lowered to what can be had (0 removes it) and held again. With holds off, stock is checked.
 */
async function holdWithin(
  cart: Cart,
  before: CartView,
  guestHold: string,
  context: MergeContext,
  madeHold: (undo: UndoHold) => void,
): Promise<CartAdjustment[]> {
  const { deps, scope, now } = context;
  const hold = { inventory: deps.inventory, holdMs: deps.cart.holdMs, now, signal: scope.signal, log: scope.log };
  const lines = cart.view.lines;
  if (hold.holdMs === 0) {
    const stock = await deps.inventory.check(lines.map(stockLine), scope.signal);
    return lowerTo(cart, stock, deps);
  }
  try {
    madeHold(await followLines(cart, before, hold, [guestHold]));
    return [];
  } catch (error) {
    if (!(error instanceof InsufficientStockError)) throw error;
    const adjustments = lowerTo(cart, error.shortages, deps);
    madeHold(await followLines(cart, before, hold, [guestHold]));
    return adjustments;
  }
}

const stockLine = (line: CartLineFields) => ({ productId: line.productId, variantId: line.variantId, quantity: line.quantity });

/** Lowers each line short of stock to what is available, and says so as checkout does. */
function lowerTo(
  cart: Cart,
  stock: readonly { productId: string; variantId?: string; available: number }[],
  deps: CartDeps,
): CartAdjustment[] {
  const adjustments: CartAdjustment[] = [];
  for (const line of cart.view.lines) {
    const available = stock.find((s) => lineKey({ productId: s.productId, variantId: s.variantId ?? "" }) === lineKey(line))?.available;
    if (available === undefined || available >= line.quantity) continue;
    const newQuantity = Math.max(available, 0);
    const price = money(deps.pricing.currency, line.unitPriceMinor);
    adjustments.push({
      productId: line.productId,
      variantId: line.variantId,
      reason: newQuantity === 0 ? "OUT_OF_STOCK" : "SHORT_OF_STOCK",
      oldUnitPrice: price,
      newUnitPrice: price,
      oldQuantity: line.quantity,
      newQuantity,
    });
  }
  cart.fix(adjustments.map((a) => ({ ...a, newUnitPriceMinor: a.newUnitPrice.amountMinor })));
  return adjustments;
}
