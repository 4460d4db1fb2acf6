import type { EntityManager } from "@mikro-orm/postgresql";
import { query } from "../../db/sql.js";
import type { CartView } from "../domain/cart.js";
import { cartCodecs } from "./cart-codecs.js";

/** `select` of a cart with its lines in the order they were added; built once per metadata. */
const selects = new WeakMap<object, string>();

function selectCart(em: EntityManager): string {
  let sql = selects.get(em.getMetadata());
  if (!sql) {
    const { carts, lines } = cartCodecs(em);
    sql = `select c.*, ${lines.jsonArray("i", "i.cart_user_id = c.user_id", "i.id")} as lines from ${carts.table} c`;
    selects.set(em.getMetadata(), sql);
  }
  return sql;
}

/** A user's cart with its lines, in one statement; null when the user has none. */
export async function findCart(em: EntityManager, userId: string): Promise<CartView | null> {
  const [row] = await query<Record<string, unknown>>(em, `${selectCart(em)} where c.user_id = ?`, [userId]);
  return row ? cartOf(em, row) : null;
}

function cartOf(em: EntityManager, row: Record<string, unknown>): CartView {
  const { carts, lines } = cartCodecs(em);
  return { ...carts.fromRow(row), lines: lines.fromJsonArray(row.lines).map(({ id: _id, ...line }) => line) };
}

/** Open carts with lines, most recently changed first, after `after` (a keyset), optionally only those still holding stock. */
export async function listCarts(
  em: EntityManager,
  options: { limit: number; after?: { updatedAt: Date; key: string }; holdingOnly: boolean; now: Date },
): Promise<CartView[]> {
  const where = [`c.status = 'OPEN'`, `c.expires_at > ?`, `exists (select 1 from cart_items x where x.cart_user_id = c.user_id)`];
  const params: unknown[] = [options.now];
  if (options.holdingOnly) {
    where.push(`c.reservation_id <> '' and c.holds_until > ?`);
    params.push(options.now);
  }
  if (options.after) {
    where.push(`(c.updated_at, c.user_id) < (?, ?)`);
    params.push(options.after.updatedAt, options.after.key);
  }
  const rows = await query<Record<string, unknown>>(
    em,
    `${selectCart(em)} where ${where.join(" and ")} order by c.updated_at desc, c.user_id desc limit ?`,
    [...params, options.limit],
  );
  return rows.map((row) => cartOf(em, row));
}
