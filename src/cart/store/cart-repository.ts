import type { EntityManager } from "@mikro-orm/postgresql";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Inventory } from "../../catalog/catalog-ports.js";
import { money } from "../../money/money.js";
import { toMoneyProto } from "../../money/money-proto.js";
import { outboxInsert, type EventRecord } from "../../outbox/outbox-writer.js";
import { cartEvent, cartLineOf } from "./cart-events.js";
import { CheckoutInProgressError } from "../domain/cart-errors.js";
import { query } from "../../db/sql.js";
import { VersionConflictError } from "../../platform/errors/domain-errors.js";
import type { CartLineFields } from "../domain/cart-data.js";
import { Cart, type CartView } from "../domain/cart.js";
import { cartCodecs } from "./cart-codecs.js";
import { CartRow } from "./cart.entity.js";
import { findCart } from "./cart-queries.js";

/*
 * The write side of the cart tables (carts, cart_items): a change is read after the row is
 * locked and written in one statement, plain SQL with the columns from the entities' metadata
 * (db/row-codec.ts), as orders are: through MikroORM's entities AddItem cost 5 ms of CPU per call
 * here, most of it loading, diffing and flushing up to 50 lines (bench:profile, 2026-11-28).
 */

export function checkVersion(cart: { userId: string; version: number }, expected: bigint | undefined): void {
  if (expected !== undefined && expected !== BigInt(cart.version)) {
    throw new VersionConflictError("cart", cart.userId, expected, BigInt(cart.version));
  }
}

/** A guest's new cart, under its key ("guest:<id>"), empty. */
export async function createGuestCart(
  em: EntityManager,
  key: string,
  fields: { currency: string; now: Date; expiresAt: Date; guestEmail: string },
): Promise<void> {
  await query(
    em,
    `insert into carts (user_id, currency, version, created_at, updated_at, expires_at, guest_email) values (?, ?, 0, ?, ?, ?, ?)`,
    [key, fields.currency, fields.now, fields.now, fields.expiresAt, fields.guestEmail],
  );
}

/** A cart locked in a transaction, with its lines as they were read: `saveCart` writes what differs. */
export interface LockedCart {
  readonly cart: Cart;
  readonly stored: CartView;
}

/**
 * Creates the cart if missing, locks its row (concurrent edits of one cart run one after another,
 * so no quantity is lost), reads it and checks expected_version. Locked first, then read: a read
 * that waited for the lock would see the lines as they were when it started (its snapshot),
 * losing a concurrent edit.
 */
export async function lockCart(
  tx: EntityManager,
  target: { userId: string; expectedVersion?: bigint },
  created: { currency: string; now: Date; expiresAt: Date },
): Promise<LockedCart> {
  const { now, expiresAt, currency } = created;
  await query(
    tx,
    `insert into carts (user_id, currency, version, created_at, updated_at, expires_at) values (?, ?, 0, ?, ?, ?)
     on conflict (user_id) do nothing`,
    [target.userId, currency, now, now, expiresAt],
  );
  await query(tx, `select 1 from carts where user_id = ? for update`, [target.userId]);
  const stored = (await findCart(tx, target.userId))!;
  checkVersion(stored, target.expectedVersion);
  return { cart: Cart.restore(stored), stored };
}

/** In one statement: deletes the lines the change dropped, upserts the ones it added or changed, pushes the expiry out and bumps the version. */
export async function saveCart(
  tx: EntityManager,
  locked: LockedCart,
  now: Date,
  expiresAt: Date,
  events: readonly EventRecord[] = [],
): Promise<void> {
  const version = await storeLines(tx, locked.stored, now, expiresAt, locked.cart.view, events);
  locked.cart.stored(version, now, expiresAt);
}

async function storeLines(
  tx: EntityManager,
  was: CartView,
  now: Date,
  expiresAt: Date,
  is: CartView,
  events: readonly EventRecord[],
): Promise<number> {
  const { userId, lines: before } = was;
  const { lines: after, reservationId, holdsUntil, status, mergedInto } = is;
  const { lines } = cartCodecs(tx);
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
  const outbox = events.length ? outboxInsert(tx, events) : { sql: "", params: [] };
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
    ...(events.length ? [`ev as (${outbox.sql})`] : []),
  ];
  const [row] = await query<{ version: number }>(
    tx,
    `${steps.length ? `with ${steps.join(", ")} ` : ""}update carts set version = version + 1, updated_at = ?, expires_at = ?,
     reservation_id = ?, holds_until = ?, status = ?, merged_into = ? where user_id = ? returning version`,
    [
      ...(dropped ? [userId, kept] : []),
      ...written.flatMap(columnsOf),
      ...outbox.params,
      now,
      expiresAt,
      reservationId,
      holdsUntil,
      status,
      mergedInto,
      userId,
    ],
  );
  return row!.version;
}

/**
 * Inside the order's transaction: a cart edited since it was priced aborts the order. Raw: a
 * conditional update and a delete on Checkout's hot path, as measured before MikroORM's query
 * building was put in front of them.
 */
export async function emptyCart(
  tx: EntityManager,
  cart: { userId: string; version: number },
  now: Date,
  event: EventRecord,
): Promise<void> {
  const outbox = outboxInsert(tx, [event]);
  // A cart edited since it was priced throws below, and the order's transaction, event and all, rolls back.
  const bumped = await query<{ version: number }>(
    tx,
    `with ev as (${outbox.sql})
     update carts set version = version + 1, updated_at = ?, reservation_id = '', holds_until = null, checkout_until = null
     where user_id = ? and version = ? returning version`,
    [...outbox.params, now, cart.userId, cart.version],
  );
  if (bumped.length === 0) {
    const [current] = await query<{ version: number }>(tx, `select version from carts where user_id = ?`, [cart.userId]);
    throw new VersionConflictError("cart", cart.userId, BigInt(cart.version), BigInt(current?.version ?? 0));
  }
  await query(tx, `delete from cart_items where cart_user_id = ?`, [cart.userId]);
}

/**
 * Before checkout asks Inventory to turn the cart's hold into the order's reservation, the cart
 * is marked as being checked out until `until` (the call's deadline), only if it is still the
 * version priced and no other checkout has it. A second checkout of the same cart running at once
 * fails here instead of reserving the same lines again from stock; one whose process died frees
 * the cart when its mark passes. The sweeper leaves a marked cart's hold alone.
 */
export async function markCheckout(em: EntityManager, cart: { userId: string; version: number }, now: Date, until: Date): Promise<void> {
  const marked = await query(
    em,
    `update carts set checkout_until = ? where user_id = ? and version = ? and (checkout_until is null or checkout_until <= ?) returning 1`,
    [until, cart.userId, cart.version, now],
  );
  if (marked.length === 0) {
    const [current] = await query<{ version: number }>(em, `select version from carts where user_id = ?`, [cart.userId]);
    if (current?.version === cart.version) throw new CheckoutInProgressError(cart.userId);
    throw new VersionConflictError("cart", cart.userId, BigInt(cart.version), BigInt(current?.version ?? 0));
  }
}

/** The checkout failed: the cart may be checked out again at once. */
export async function unmarkCheckout(em: EntityManager, cart: { userId: string; version: number }): Promise<void> {
  await query(em, `update carts set checkout_until = null where user_id = ? and version = ?`, [cart.userId, cart.version]);
}

/** Locks an existing cart's row: its hold ('' none), or undefined when there is no such cart. */
export async function lockHold(tx: EntityManager, key: string): Promise<string | undefined> {
  const [row] = await query<{ reservation_id: string }>(tx, `select reservation_id from carts where user_id = ? for update`, [key]);
  return row?.reservation_id;
}

/** Staff released the cart's hold: it holds nothing until its next change. The version stays (the lines did not change). */
export async function dropHold(tx: EntityManager, key: string): Promise<void> {
  await query(tx, `update carts set reservation_id = '', holds_until = null where user_id = ?`, [key]);
}

/** Budget for one Inventory release while the sweeper holds a cart's row. */
const RELEASE_TIMEOUT_MS = 5_000;

/**
 * Up to `limit` carts whose hold lapsed: each hold released at Inventory and the cart's pointer
 * cleared, under the carts' row locks (carts being changed right now are skipped, not waited for).
 */
export async function releaseLapsedHolds(em: EntityManager, inventory: Inventory, now: Date, topic: string, limit = 100): Promise<number> {
  return em.transactional(async (tx) => {
    const lapsed = await query<{ user_id: string; reservation_id: string }>(
      tx,
      `select user_id, reservation_id from carts where holds_until <= ? and reservation_id <> ''
       and (checkout_until is null or checkout_until <= ?) order by holds_until limit ? for update skip locked`,
      [now, now, limit],
    );
    const events: EventRecord[] = [];
    for (const { user_id: key, reservation_id: reservationId } of lapsed) {
      await inventory.release(reservationId, AbortSignal.timeout(RELEASE_TIMEOUT_MS));
      const cart = (await findCart(tx, key))!;
      const lines = cart.lines.map((line) => cartLineOf(line, cart.currency));
      const expired = { lines, holdExpireTime: timestampFromDate(cart.holdsUntil!) };
      events.push(
        cartEvent({ key, version: cart.version, currency: cart.currency, topic }, { case: "cartReservationExpired", value: expired }, now),
      );
    }
    if (lapsed.length) {
      const outbox = outboxInsert(tx, events);
      await query(
        tx,
        `with ev as (${outbox.sql}) update carts set reservation_id = '', holds_until = null where user_id = any(?::text[])`,
        [...outbox.params, lapsed.map((cart) => cart.user_id)],
      );
    }
    return lapsed.length;
  });
}

/**
 * Up to `limit` carts with lines that nobody touched since `idleSince` and that were not marked
 * abandoned since their last change: each gets one CartAbandoned and the mark, under its row
 * lock (skip locked), so instances sweeping at once abandon each cart once per idle period.
 */
export async function abandonIdleCarts(em: EntityManager, now: Date, idleSince: Date, topic: string, limit = 100): Promise<number> {
  return em.transactional(async (tx) => {
    const idle = await query<{ user_id: string }>(
      tx,
      `select c.user_id from carts c
       where c.status = 'OPEN' and c.updated_at <= ? and c.expires_at > ? and (c.abandoned_at is null or c.abandoned_at < c.updated_at)
         and exists (select 1 from cart_items i where i.cart_user_id = c.user_id)
       order by c.updated_at limit ? for update skip locked`,
      [idleSince, now, limit],
    );
    if (!idle.length) return 0;
    const events: EventRecord[] = [];
    for (const { user_id: key } of idle) {
      const cart = (await findCart(tx, key))!;
      const subtotal = cart.lines.reduce((sum, line) => sum + line.unitPriceMinor * BigInt(line.quantity), 0n);
      const abandoned = {
        lines: cart.lines.map((line) => cartLineOf(line, cart.currency)),
        subtotal: toMoneyProto(money(cart.currency, subtotal)),
        lastActivityTime: timestampFromDate(cart.updatedAt),
        email: cart.guestEmail,
      };
      events.push(
        cartEvent({ key, version: cart.version, currency: cart.currency, topic }, { case: "cartAbandoned", value: abandoned }, now),
      );
    }
    const outbox = outboxInsert(tx, events);
    await query(tx, `with ev as (${outbox.sql}) update carts set abandoned_at = ? where user_id = any(?::text[])`, [
      ...outbox.params,
      now,
      idle.map((cart) => cart.user_id),
    ]);
    return idle.length;
  });
}

/** Carts nobody touched within their TTL, with their lines (the foreign key cascades); returns how many. */
export async function deleteExpiredCarts(em: EntityManager, now: Date): Promise<number> {
  return em.nativeDelete(CartRow, { expiresAt: { $lte: now } });
}
