import type { EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../../db/row-codec.js";
import { sameAsStored } from "../../db/same-as-stored.js";
import type { OrderChangeFields } from "../domain/change-data.js";
import { OrderChange, type OrderChangeView } from "../domain/order-change.js";
import { OrderChangeRow } from "./change.entity.js";
import { queryChanges } from "./change-queries.js";

/*
 * The write side of order_changes: a change is read and written with its order, under the order's
 * lock, as a step of the order's save statement. Reads on their own are change-queries.ts's.
 */

export const changeCodec = (em: EntityManager) => rowCodec<OrderChangeFields>(em, OrderChangeRow);

/** An order's changes as read in its transaction: `changeSteps` writes those that differ. */
export interface LoadedChanges {
  readonly changes: OrderChange[];
  readonly stored: ReadonlyMap<string, OrderChangeView>;
}

/** Every change of the order (at most MAX_CHANGES), oldest first. Call with the order row locked. */
export async function loadChanges(em: EntityManager, orderId: string): Promise<LoadedChanges> {
  const views = await queryChanges(em, "c.order_id = ?", [orderId], "c.created_at, c.id");
  return { changes: views.map((view) => OrderChange.restore(view)), stored: new Map(views.map((view) => [view.id, view])) };
}

/** The upsert of the changes that differ from what was read, as a step of the order's save; each one's version goes one up. */
export function changeSteps(em: EntityManager, loaded: LoadedChanges, now: Date): { sql: string[]; params: unknown[] } {
  const codec = changeCodec(em);
  const rows: unknown[][] = [];
  for (const change of loaded.changes) {
    const before = loaded.stored.get(change.id);
    if (before && sameAsStored(before, change.view)) continue;
    change.stored((before?.version ?? 0) + 1, now);
    rows.push(codec.values({ ...change.view }));
  }
  if (!rows.length) return { sql: [], params: [] };
  const updated = codec.columns.filter((column) => column !== "id");
  return {
    sql: [
      `oc as (insert into ${codec.table} (${codec.columns.join(", ")}) values ${rows.map(() => codec.placeholders).join(", ")}
       on conflict (id) do update set ${updated.map((column) => `${column} = excluded.${column}`).join(", ")})`,
    ],
    params: rows.flat(),
  };
}
