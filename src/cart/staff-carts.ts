import type { EntityManager } from "@mikro-orm/postgresql";
import { decodePageToken, encodePageToken } from "../orders/page-token.js";
import { InvalidArgumentError, NotFoundError } from "../platform/errors/domain-errors.js";
import type { CartDeps } from "./cart-deps.js";
import type { CartView } from "./domain/cart.js";
import type { CartScope } from "./mutate-cart.js";
import { findCart, listCarts } from "./store/cart-queries.js";
import { dropHold, lockHold } from "./store/cart-repository.js";

/** What the console's carts view lists: open carts with lines, a page at a time. */
export async function cartsPage(
  em: EntityManager,
  deps: CartDeps,
  request: { pageSize: number; pageToken: string; holdingOnly: boolean },
): Promise<{ carts: CartView[]; nextPageToken: string }> {
  const filters = { holdingOnly: request.holdingOnly };
  const start = request.pageToken ? decodePageToken(request.pageToken, filters) : undefined;
  if (typeof start === "string") throw new InvalidArgumentError([{ field: "page_token", description: start }]);
  const carts = await listCarts(em, {
    limit: request.pageSize,
    after: start && { updatedAt: start.createdAt, key: start.id },
    holdingOnly: request.holdingOnly,
    now: deps.clock.now(),
  });
  const last = carts.length === request.pageSize ? carts.at(-1) : undefined;
  return { carts, nextPageToken: last ? encodePageToken({ createdAt: last.updatedAt, id: last.userId }, filters) : "" };
}

/**
 * Staff give a cart's hold back to Inventory, under the cart's row lock so no change of the cart
 * runs in between; the lines stay and its next change holds them again.
 */
export async function releaseCartHolds(
  scope: CartScope,
  deps: CartDeps,
  key: string,
  beforeCommit: (tx: EntityManager, cart: CartView) => Promise<void>,
): Promise<CartView> {
  return scope.em.transactional(async (tx) => {
    const hold = await lockHold(tx, key);
    if (hold === undefined) throw new NotFoundError("cart", key);
    if (hold) {
      await deps.inventory.release(hold, scope.signal);
      await dropHold(tx, key);
    }
    const cart = (await findCart(tx, key))!;
    await beforeCommit(tx, cart);
    return cart;
  });
}
