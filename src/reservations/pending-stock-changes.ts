import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { Inventory } from "../catalog/catalog-ports.js";
import { query } from "../db/sql.js";
import { DomainError } from "../platform/errors/domain-errors.js";
import { leaseSeconds } from "../platform/lease.js";

/*
 * The stock operations of an order change (a shipment's commit, a move between locations) are
 * asked of Inventory before the change commits. Like a new order's reservation
 * (pending-reservations.ts), the change is recorded first, in a transaction of its own, and the
 * change's transaction deletes the record. A process that dies in between leaves the record; once
 * its lease passes, the sweeper undoes the change's operations at Inventory, each of which is
 * named `<change id>:<kind>`. Undo is idempotent and, for an operation that never arrived, makes
 * sure it never takes effect; so the sweeper needs no knowledge of what the change did.
 */

export const STOCK_OPERATION_KINDS = ["commit", "uncommit", "move", "release", "restock"] as const;
export type StockOperationKind = (typeof STOCK_OPERATION_KINDS)[number];

export const operationIdOf = (changeId: string, kind: StockOperationKind) => `${changeId}:${kind}`;

const UNDO_TIMEOUT_MS = 5_000;

export class StockChangeLapsedError extends DomainError {
  constructor() {
    super("aborted", "STOCK_CHANGE_LAPSED", "the change's stock operations lapsed before it was written; nothing changed, retry");
  }
}

/** Records a change about to ask Inventory for stock operations; in its own transaction, before the change's. */
export async function holdStockChange(em: EntityManager, changeId: string, reservationId: string, deadline: number): Promise<void> {
  await query(
    em,
    `insert into pending_stock_changes (change_id, reservation_id, lease_until) values (?, ?, now() + make_interval(secs => ?))`,
    [changeId, reservationId, leaseSeconds(deadline)],
  );
}

/** Inside the change's transaction: its operations are now the change's. Fails once the sweeper has taken them. */
export async function claimStockChange(tx: EntityManager, changeId: string): Promise<void> {
  const claimed = await query<unknown>(tx, `delete from pending_stock_changes where change_id = ? and not abandoned returning 1`, [
    changeId,
  ]);
  if (claimed.length !== 1) throw new StockChangeLapsedError();
}

/** The change did not commit and its compensation ran: the record goes, or stays for the sweeper when `settled` is false. */
export async function dropStockChange(em: EntityManager, changeId: string, settled: boolean, log: Logger): Promise<void> {
  try {
    if (settled) await query(em, `delete from pending_stock_changes where change_id = ?`, [changeId]);
    else await query(em, `update pending_stock_changes set abandoned = true, lease_until = now() where change_id = ?`, [changeId]);
  } catch (error) {
    log.warn({ err: error, changeId }, "could not settle the record of a failed change's stock operations; the sweeper will");
  }
}

/** Takes up to `limit` records whose lease passed (backing off per attempt) and undoes their operations. */
export async function sweepStockChanges(em: EntityManager, inventory: Inventory, log: Logger, limit = 100): Promise<number> {
  const taken = await query<{ change_id: string; reservation_id: string }>(
    em,
    `update pending_stock_changes
     set abandoned = true, undo_attempts = undo_attempts + 1,
         lease_until = now() + make_interval(secs => least(300, 5 * power(2, undo_attempts)))
     where change_id in (
       select change_id from pending_stock_changes where lease_until < now()
       order by lease_until limit ? for update skip locked)
     returning change_id, reservation_id`,
    [limit],
  );
  if (taken.length) log.info({ changes: taken.length }, "undoing stock operations of order changes that were never written");
  let undone = 0;
  for (const { change_id: changeId, reservation_id: reservationId } of taken) {
    try {
      for (const kind of STOCK_OPERATION_KINDS) {
        await inventory.undo(reservationId, operationIdOf(changeId, kind), AbortSignal.timeout(UNDO_TIMEOUT_MS));
      }
      await query(em, `delete from pending_stock_changes where change_id = ?`, [changeId]);
      undone++;
    } catch (error) {
      log.warn({ err: error, changeId }, "undo failed; retried later");
    }
  }
  return undone;
}
