import type { EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../db/row-codec.js";
import { VersionConflictError } from "../platform/domain-errors.js";
import type { CartDeps } from "./cart-deps.js";
import { Cart, type CartView } from "./cart.js";
import { CartItemRow, CartRow, type CartFields, type CartLineFields } from "./cart.entity.js";
import { query } from "../db/sql.js";

/*
 * The one owner of the cart tables (carts, cart_items). A cart and its lines are read in one
 * statement and a change written in one, plain SQL with the columns from the entities' metadata
 * (db/row-codec.ts), as orders are: through MikroORM's entities AddItem cost 5 ms of CPU per call
 * here, most of it loading, diffing and flushing up to 50 lines (bench:profile, 2026-11-28).
 */

function codecs(em: EntityManager) {
  return { carts: rowCodec<CartFields>(em, CartRow), lines: rowCodec<CartLineFields & { id?: bigint }>(em, CartItemRow) };
}

/** `select` of a cart with its lines in the order they were added; built once per metadata. */
const selects = new WeakMap<object, string>();

function selectCart(em: EntityManager): string {
  let sql = selects.get(em.getMetadata());
  if (!sql) {
    const { carts, lines } = codecs(em);
    sql = `select c.*, ${lines.jsonArray("i", "i.cart_user_id = c.user_id", "i.id")} as lines from ${carts.table} c where c.user_id = ?`;
    selects.set(em.getMetadata(), sql);
  }
  return sql;
}

async function readCart(em: EntityManager, userId: string): Promise<CartView | undefined> {
  const { carts, lines } = codecs(em);
  const [row] = await query<Record<string, unknown>>(em, selectCart(em), [userId]);
  if (!row) return undefined;
  return { ...carts.fromRow(row), lines: lines.fromJsonArray(row.lines).map(({ id: _id, ...line }) => line) };
}

export async function findCart(em: EntityManager, userId: string): Promise<CartView | null> {
  return (await readCart(em, userId)) ?? null;
}

export function checkVersion(cart: { userId: string; version: number }, expected: bigint | undefined): void {
  if (expected !== undefined && expected !== BigInt(cart.version)) {
    throw new VersionConflictError("cart", cart.userId, expected, BigInt(cart.version));
  }
}

/**
 * The one way a cart changes: create it if missing, lock its row (concurrent edits of one cart
 * run one after another, so no quantity is lost), read it, check expected_version, let the aggregate
 * change (an expired cart starts empty), then in one statement delete the lines it dropped,
 * upsert the ones it added or changed, push the expiry out and bump the version.
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
    // Created if missing, left alone if not: the lock below needs the row.
    await query(
      tx,
      `insert into carts (user_id, currency, version, created_at, updated_at, expires_at) values (?, ?, 0, ?, ?, ?)
       on conflict (user_id) do nothing`,
      [target.userId, deps.pricing.currency, now, now, expiresAt],
    );
    // Locked first, then read: a read that waited for the lock would see the lines as they were
    // when it started (its snapshot), losing a concurrent edit.
    await query(tx, `select 1 from carts where user_id = ? for update`, [target.userId]);
    const before = (await readCart(tx, target.userId))!;
    checkVersion(before, target.expectedVersion);
    const cart = Cart.restore(before);
    if (cart.isExpired(now)) cart.clear();
    change(cart);
    const version = await storeLines(tx, target.userId, before.lines, cart.view.lines, now, expiresAt);
    cart.stored(version, now, expiresAt);
    const view = cart.view;
    await beforeCommit?.(tx, view);
    return view;
  });
}

async function storeLines(
  tx: EntityManager,
  userId: string,
  before: readonly CartLineFields[],
  after: readonly CartLineFields[],
  now: Date,
  expiresAt: Date,
): Promise<number> {
  const { lines } = codecs(tx);
  // Compared as the columns they are written to, so a column added to the entity is compared too.
  const columnsOf = (line: CartLineFields) => lines.values({ ...line, cart: userId });
  // A line is one product and variant; the key joins the two as the delete below does.
  const keyOf = (line: CartLineFields) => `${line.productId}\u001f${line.variantId}`;
  const stored = new Map(before.map((line) => [keyOf(line), columnsOf(line)]));
  const written = after.filter((line) => {
    const old = stored.get(keyOf(line));
    return !old || columnsOf(line).some((value, k) => value !== old[k]);
  });
  const kept = after.map(keyOf);
  const dropped = before.some((line) => !kept.includes(keyOf(line)));
  const key = ["cart_user_id", "product_id", "variant_id"];
  const changed = lines.columns.filter((column) => !key.includes(column));
  const steps = [
    ...(dropped
      ? [`gone as (delete from ${lines.table} where cart_user_id = ? and not (product_id || chr(31) || variant_id = any(?::text[])))`]
      : []),
    ...(written.length
      ? [
          `put as (insert into ${lines.table} (${lines.columns.join(", ")}) values ${written.map(() => lines.placeholders).join(", ")}
           on conflict (${key.join(", ")}) do update set ${changed.map((column) => `${column} = excluded.${column}`).join(", ")})`,
        ]
      : []),
  ];
  const [row] = await query<{ version: number }>(
    tx,
    `${steps.length ? `with ${steps.join(", ")} ` : ""}update carts set version = version + 1, updated_at = ?, expires_at = ? where user_id = ? returning version`,
    [...(dropped ? [userId, kept] : []), ...written.flatMap(columnsOf), now, expiresAt, userId],
  );
  return row!.version;
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
