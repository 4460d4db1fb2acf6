import type { EntityManager } from "@mikro-orm/postgresql";
import { query } from "../db/sql.js";
import { newId } from "../platform/clock.js";

export interface OrderLink {
  readonly id: string;
  readonly orderId: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** In the order's transaction: the guest's link to the order it is placing. */
export async function createOrderLink(tx: EntityManager, orderId: string, now: Date, ttlMs: number): Promise<OrderLink> {
  const link = { id: newId(), orderId, createdAt: now, expiresAt: new Date(now.getTime() + ttlMs) };
  await query(tx, `insert into order_links (id, order_id, created_at, expires_at) values (?, ?, ?, ?)`, [
    link.id,
    link.orderId,
    link.createdAt,
    link.expiresAt,
  ]);
  return link;
}

/** The order's first link that still works (a replayed checkout hands it out again); undefined when none does. */
export async function liveOrderLink(em: EntityManager, orderId: string): Promise<OrderLink | undefined> {
  const [row] = await query<{ id: string; created_at: Date; expires_at: Date }>(
    em,
    `select id, created_at, expires_at from order_links where order_id = ? and revoked_at is null and expires_at > now()
     order by created_at limit 1`,
    [orderId],
  );
  return row && { id: row.id, orderId, createdAt: new Date(row.created_at), expiresAt: new Date(row.expires_at) };
}

/** Revokes every live link of the order; how many there were. */
export async function revokeOrderLinks(em: EntityManager, orderId: string, by: string, reason: string): Promise<number> {
  const revoked = await query(
    em,
    `update order_links set revoked_at = now(), revoked_by = ?, revoke_reason = ?
     where order_id = ? and revoked_at is null and expires_at > now() returning id`,
    [by, reason, orderId],
  );
  return revoked.length;
}
