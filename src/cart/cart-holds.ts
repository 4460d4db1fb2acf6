import type { Logger } from "pino";
import { InsufficientStockError } from "../catalog/catalog-errors.js";
import type { Inventory } from "../catalog/catalog-ports.js";
import { newId } from "../platform/clock.js";
import { grows, type Cart, type CartView } from "./domain/cart.js";

/** Budget for giving a hold back when the caller's own deadline is already spent. */
const RELEASE_TIMEOUT_MS = 5_000;

export interface HoldContext {
  readonly inventory: Inventory;
  /** 0: holds are off. */
  readonly holdMs: number;
  readonly now: Date;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/** Gives a hold made for a change that did not commit back; the hold lapses anyway if this fails. */
export type UndoHold = () => Promise<void>;

const nothingToUndo: UndoHold = async () => undefined;

/**
 * A cart's hold follows its lines. After every change the lines are reserved again under a new
 * id that takes the old hold's units over (Inventory moves them: nothing is held twice or free in
 * between), lapsing `holdMs` from now, so every change renews it. An empty cart gives its hold
 * back. A change that only lowers or removes never fails for stock: when what is left cannot be
 * held again (the hold had lapsed and others took its units), the cart holds nothing and checkout
 * reserves again or reports what is short. A change that adds fails with INSUFFICIENT_STOCK.
 * `alsoFrom`: other holds whose units the new one takes over (a merged guest cart's).
 */
export async function followLines(cart: Cart, before: CartView, context: HoldContext, alsoFrom: readonly string[] = []): Promise<UndoHold> {
  const { inventory, holdMs, now, signal } = context;
  const { lines, reservationId } = cart.view;
  const from = [reservationId, ...alsoFrom].filter(Boolean);
  if (holdMs === 0) return nothingToUndo;
  const releaseAll = async () => {
    for (const id of from) await inventory.release(id, signal);
    cart.holding("", null);
    return nothingToUndo;
  };
  if (lines.length === 0) return releaseAll();
  const id = newId();
  const until = new Date(now.getTime() + holdMs);
  const stock = lines.map((line) => ({ productId: line.productId, variantId: line.variantId, quantity: line.quantity }));
  try {
    await inventory.reserve(id, stock, signal, { expiresAt: until, from });
  } catch (error) {
    if (!(error instanceof InsufficientStockError) || grows(before.lines, lines)) throw error;
    return releaseAll();
  }
  cart.holding(id, until);
  return () => giveBack(inventory, id, context.log);
}

async function giveBack(inventory: Inventory, reservationId: string, log: Logger): Promise<void> {
  try {
    await inventory.release(reservationId, AbortSignal.timeout(RELEASE_TIMEOUT_MS));
  } catch (error) {
    log.warn({ err: error, reservationId }, "could not give back the hold of a cart change that failed; it lapses on its own");
  }
}
