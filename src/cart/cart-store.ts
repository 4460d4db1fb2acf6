import { LockMode, type EntityManager } from "@mikro-orm/postgresql";
import { VersionConflictError } from "../platform/domain-errors.js";
import type { CartDeps } from "./cart-deps.js";
import { Cart } from "./cart.entity.js";

/** A cart past its expiry is empty for every reader, even before the cleanup job removes it. */
export function isExpired(cart: Cart, now: Date): boolean {
  return cart.expiresAt.getTime() <= now.getTime();
}

export async function findCart(em: EntityManager, userId: string): Promise<Cart | null> {
  return em.findOne(Cart, { userId }, { populate: ["items"] });
}

export function checkVersion(cart: { userId: string; version: number }, expected: bigint | undefined): void {
  if (expected !== undefined && expected !== BigInt(cart.version)) {
    throw new VersionConflictError("cart", cart.userId, expected, BigInt(cart.version));
  }
}

/**
 * The one way a cart changes: create it if missing, lock its row (concurrent edits of one cart
 * run one after another, so no quantity is lost), check expected_version, apply, push the
 * expiry out, bump the version.
 */
export async function mutateCart(
  em: EntityManager,
  deps: CartDeps,
  target: { userId: string; expectedVersion?: bigint },
  change: (cart: Cart, tx: EntityManager) => void,
  beforeCommit?: (tx: EntityManager, cart: Cart) => Promise<void>,
): Promise<Cart> {
  return em.transactional(async (tx) => {
    const now = deps.clock.now();
    const expiresAt = new Date(now.getTime() + deps.cart.ttlMs);
    await tx.execute(
      `insert into carts (user_id, currency, version, created_at, updated_at, expires_at) values (?, ?, 0, ?, ?, ?)
       on conflict (user_id) do nothing`,
      [target.userId, deps.pricing.currency, now, now, expiresAt],
    );
    const cart = await tx.findOneOrFail(Cart, { userId: target.userId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    await tx.populate(cart, ["items"], { refresh: true });
    checkVersion(cart, target.expectedVersion);
    if (isExpired(cart, now)) {
      for (const item of cart.items.getItems()) tx.remove(item);
      cart.items.removeAll();
    }
    change(cart, tx);
    cart.version += 1;
    cart.updatedAt = now;
    cart.expiresAt = expiresAt;
    // Flushed here, not at commit, so the returned cart carries its new version.
    await tx.flush();
    await beforeCommit?.(tx, cart);
    return cart;
  });
}

/** Inside the order's transaction: a cart edited since it was priced aborts the order. */
export async function emptyCart(tx: EntityManager, cart: Cart, now: Date): Promise<void> {
  const bumped = await tx.execute<{ version: number }[]>(
    `update carts set version = version + 1, updated_at = ? where user_id = ? and version = ? returning version`,
    [now, cart.userId, cart.version],
  );
  if (bumped.length === 0) {
    const [current] = await tx.execute<{ version: number }[]>(`select version from carts where user_id = ?`, [cart.userId]);
    throw new VersionConflictError("cart", cart.userId, BigInt(cart.version), BigInt(current?.version ?? 0));
  }
  await tx.execute(`delete from cart_items where cart_user_id = ?`, [cart.userId]);
}

/** Carts nobody touched within their TTL, with their lines (the foreign key cascades); returns how many. */
export async function deleteExpiredCarts(em: EntityManager): Promise<number> {
  const deleted = await em.execute<unknown[]>(`delete from carts where expires_at <= now() returning user_id`);
  return deleted.length;
}
