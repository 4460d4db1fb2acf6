import type { EntityManager } from "@mikro-orm/postgresql";
import { query } from "../../db/sql.js";
import type { LedgerEntryFields } from "../domain/ledger-data.js";
import { ledgerCodec } from "./ledger-repository.js";

/** An order's ledger, first row first (at most MAX_LEDGER_ENTRIES and one). */
export async function findLedger(em: EntityManager, orderId: string): Promise<LedgerEntryFields[]> {
  const ledger = ledgerCodec(em);
  const rows = await query<Record<string, unknown>>(em, `select * from ${ledger.table} where order_id = ? order by position`, [orderId]);
  return rows.map((row) => ledger.fromRow(row));
}
