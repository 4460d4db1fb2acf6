import { LockMode, type EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../db/row-codec.js";
import { VersionConflictError } from "../platform/domain-errors.js";
import type { CartDeps } from "./cart-deps.js";
import { Cart, type CartView } from "./cart.js";
import { CartItemRow, CartRow, type CartFields, type CartLineFields } from "./cart.entity.js";
import { query } from "../db/sql.js";

/* The one owner of the cart tables (carts, cart_items), through MikroORM; each raw statement says why. */

function viewOf(em: EntityManager, row: CartRow): CartView {
  const carts = rowCodec<CartFields>(em, CartRow);
  const lines = rowCodec<CartLineFields>(em, CartItemRow);
  return { ...carts.fromEntity(row), lines: row.items.getItems().map((item) => lines.fromEntity(item)) };
}

export async function findCart(em: EntityManager, userId: string): Promise<CartView | null> {
  const row = await em.findOne(CartRow, { userId }, { populate: ["items"] });
  return row && viewOf(em, row);
}

export function checkVersion(cart: { userId: string; version: number }, expected: bigint | undefined): void {
  if (expected !== undefined && expected !== BigInt(cart.version)) {
    throw new VersionConflictError("cart", cart.userId, expected, BigInt(cart.version));
  }
}

/**
 * The one way a cart changes: create it if missing, lock its row (concurrent edits of one cart
 * run one after another, so no quantity is lost), check expected_version, let the aggregate
 * change (an expired cart starts empty), store its lines, push the expiry out, bump the version.
 */
export async function mutateCart(
  em: EntityManager,
  deps: CartDeps,
  target: { userId: string; expectedVersion?: bigint },
  change: (cart: Cart) => void,
  beforeCommit?: (tx: EntityManager, cart: CartView) => Promise<void>,
): Promise<CartView> {
  return em.transactional(async (tx) => {
    const now = deps.clock.now();
    const expiresAt = new Date(now.getTime() + deps.cart.ttlMs);
    // Created if missing, left alone if not: the lock below needs the row. Raw because MikroORM's
    // upsert with onConflictAction "ignore" reads the row back, a statement the lock makes anyway.
    await query(
      tx,
      `insert into carts (user_id, currency, version, created_at, updated_at, expires_at) values (?, ?, 0, ?, ?, ?)
       on conflict (user_id) do nothing`,
      [target.userId, deps.pricing.currency, now, now, expiresAt],
    );
    const row = await tx.findOneOrFail(CartRow, { userId: target.userId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
    await tx.populate(row, ["items"], { refresh: true });
    checkVersion(row, target.expectedVersion);
    const cart = Cart.restore(viewOf(tx, row));
    if (cart.isExpired(now)) cart.clear();
    change(cart);
    const stored = new Map(row.items.getItems().map((item) => [item.productId, item]));
    const { lines } = cart.view;
    for (const line of lines) {
      const item = stored.get(line.productId);
      if (item) Object.assign(item, line);
      else row.items.add(tx.create(CartItemRow, { ...line, cart: row }));
    }
    const kept = new Set(lines.map((line) => line.productId));
    for (const item of stored.values()) {
      if (kept.has(item.productId)) continue;
      row.items.remove(item);
      tx.remove(item);
    }
    Object.assign(row, { version: row.version + 1, updatedAt: now, expiresAt });
    // Flushed here, not at commit, so the view carries the new version.
    await tx.flush();
    cart.stored(row.version, now, expiresAt);
    const view = cart.view;
    await beforeCommit?.(tx, view);
    return view;
  });
}

/**
 * Inside the order's transaction: a cart edited since it was priced aborts the order. Raw: a
 * conditional update and a delete on Checkout's hot path, as measured before MikroORM's query
 * building was put in front of them.
 */
export async function emptyCart(tx: EntityManager, cart: { userId: string; version: number }, now: Date): Promise<void> {
  const bumped = await query<{ version: number }>(
    tx,
    `update carts set version = version + 1, updated_at = ? where user_id = ? and version = ? returning version`,
    [now, cart.userId, cart.version],
  );
  if (bumped.length === 0) {
    const [current] = await query<{ version: number }>(tx, `select version from carts where user_id = ?`, [cart.userId]);
    throw new VersionConflictError("cart", cart.userId, BigInt(cart.version), BigInt(current?.version ?? 0));
  }
  await query(tx, `delete from cart_items where cart_user_id = ?`, [cart.userId]);
}

/** Carts nobody touched within their TTL, with their lines (the foreign key cascades); returns how many. */
export async function deleteExpiredCarts(em: EntityManager, now: Date): Promise<number> {
  return em.nativeDelete(CartRow, { expiresAt: { $lte: now } });
}
