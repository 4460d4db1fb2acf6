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
    sql = `select c.*, ${lines.jsonArray("i", "i.cart_user_id = c.user_id", "i.id")} as lines from ${carts.table} c where c.user_id = ?`;
    selects.set(em.getMetadata(), sql);
  }
  return sql;
}

/** A user's cart with its lines, in one statement; null when the user has none. */
export async function findCart(em: EntityManager, userId: string): Promise<CartView | null> {
  const { carts, lines } = cartCodecs(em);
  const [row] = await query<Record<string, unknown>>(em, selectCart(em), [userId]);
  if (!row) return null;
  return { ...carts.fromRow(row), lines: lines.fromJsonArray(row.lines).map(({ id: _id, ...line }) => line) };
}
