import type { EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../../db/row-codec.js";
import { query } from "../../db/sql.js";
import type { LedgerEntryFields } from "../domain/ledger-data.js";
import { LedgerEntryRow } from "./ledger.entity.js";

/*
 * The ledger's rows: added as a step of the order's save statement (orders/store/order-repository.ts),
 * read in position order. Rows are never changed or removed.
 */

const codecOf = (em: EntityManager) => rowCodec<LedgerEntryFields>(em, LedgerEntryRow);

/** The insert of a change's new rows, as a `with` step named `name`; none when there are none. */
export function ledgerSteps(em: EntityManager, entries: readonly LedgerEntryFields[]): { sql: string[]; params: unknown[] } {
  if (!entries.length) return { sql: [], params: [] };
  const ledger = codecOf(em);
  return {
    sql: [`le as (insert into ${ledger.table} (${ledger.columns.join(", ")}) values ${entries.map(() => ledger.placeholders).join(", ")})`],
    params: entries.flatMap((entry) => ledger.values({ ...entry })),
  };
}

/** An order's ledger, first row first (at most MAX_LEDGER_ENTRIES and one). */
export async function findLedger(em: EntityManager, orderId: string): Promise<LedgerEntryFields[]> {
  const ledger = codecOf(em);
  const rows = await query<Record<string, unknown>>(em, `select * from ${ledger.table} where order_id = ? order by position`, [orderId]);
  return rows.map((row) => ledger.fromRow(row));
}
