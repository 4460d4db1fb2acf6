import type { EntityManager } from "@mikro-orm/postgresql";
import { rowCodec } from "../../db/row-codec.js";
import type { LedgerEntryFields } from "../domain/ledger-data.js";
import { LedgerEntryRow } from "./ledger.entity.js";

/*
 * The ledger's rows: added as a step of the order's save statement (orders/store/order-repository.ts),
 * never changed or removed. Reads are ledger-queries.ts's.
 */

export const ledgerCodec = (em: EntityManager) => rowCodec<LedgerEntryFields>(em, LedgerEntryRow);

/** The insert of a change's new rows, as a `with` step named `name`; none when there are none. */
export function ledgerSteps(em: EntityManager, entries: readonly LedgerEntryFields[]): { sql: string[]; params: unknown[] } {
  if (!entries.length) return { sql: [], params: [] };
  const ledger = ledgerCodec(em);
  return {
    sql: [`le as (insert into ${ledger.table} (${ledger.columns.join(", ")}) values ${entries.map(() => ledger.placeholders).join(", ")})`],
    params: entries.flatMap((entry) => ledger.values({ ...entry })),
  };
}
