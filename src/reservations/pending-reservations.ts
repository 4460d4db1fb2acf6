import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { Inventory } from "../catalog/catalog-ports.js";
import { DomainError } from "../platform/errors/domain-errors.js";
import { leaseSeconds } from "../platform/lease.js";
import { query, type SqlStep } from "../db/sql.js";

/**
 * A stock reservation is "pending" from just before it is asked of Inventory until the order
 * that owns it commits (which deletes the row in its transaction) or it is released. A process
 * that dies in between leaves the row behind; once its lease has passed, the sweeper releases
 * the reservation. Marking a row abandoned fences the order: its transaction can then no longer
 * claim the reservation, so stock is never released under a committed order.
 */

/** Release budget when the caller's own deadline is already spent: compensation must still run. */
const RELEASE_TIMEOUT_MS = 5_000;

export class ReservationLapsedError extends DomainError {
  constructor() {
    super("aborted", "RESERVATION_LAPSED", "the stock reservation lapsed before the order was written; nothing was ordered, retry");
  }
}

/** Records the reservation about to be asked for; returns the next order number in the same round trip. */
export async function holdPending(em: EntityManager, reservationId: string, deadline: number): Promise<string> {
  const [row] = await query<{ seq: string }>(
    em,
    `with held as (insert into pending_reservations (reservation_id, lease_until) values (?, now() + make_interval(secs => ?)))
     select nextval('order_number_seq') as seq`,
    [reservationId, leaseSeconds(deadline)],
  );
  return row!.seq;
}

/**
 * Inside the order's transaction, as a step of the statement that writes the order: the order
 * now owns the reservation, unless it lapsed (the step took no row).
 */
export function claimPendingStep(reservationId: string): SqlStep {
  return {
    name: "taken",
    sql: "taken as (delete from pending_reservations where reservation_id = ? and not abandoned returning 1)",
    params: [reservationId],
    check(taken: number): void {
      if (taken !== 1) throw new ReservationLapsedError();
    },
  };
}

/** The order will not be written: release its reservation now, or leave it for the sweeper. */
export async function abandonPending(em: EntityManager, inventory: Inventory, reservationId: string, log: Logger): Promise<void> {
  try {
    const taken = await query<{ reservation_id: string }>(
      em,
      `update pending_reservations set abandoned = true, lease_until = now() + interval '5 seconds'
       where reservation_id = ? returning reservation_id`,
      [reservationId],
    );
    await releaseAll(
      em,
      inventory,
      taken.map((row) => row.reservation_id),
      log,
    );
  } catch (error) {
    log.warn({ err: error, reservationId }, "could not release the reservation of a failed order now; the sweeper will");
  }
}

/** Takes up to `limit` rows whose lease passed (backing off per attempt) and releases their reservations. */
export async function sweepPending(em: EntityManager, inventory: Inventory, log: Logger, limit = 100): Promise<number> {
  const taken = await query<{ reservation_id: string }>(
    em,
    `update pending_reservations
     set abandoned = true, release_attempts = release_attempts + 1,
         lease_until = now() + make_interval(secs => least(300, 5 * power(2, release_attempts)))
     where reservation_id in (
       select reservation_id from pending_reservations where lease_until < now()
       order by lease_until limit ? for update skip locked)
     returning reservation_id`,
    [limit],
  );
  if (taken.length) log.info({ reservations: taken.length }, "releasing reservations of orders that were never written");
  return releaseAll(
    em,
    inventory,
    taken.map((row) => row.reservation_id),
    log,
  );
}

async function releaseAll(em: EntityManager, inventory: Inventory, ids: readonly string[], log: Logger): Promise<number> {
  let released = 0;
  for (const id of ids) {
    try {
      await inventory.release(id, AbortSignal.timeout(RELEASE_TIMEOUT_MS));
      await query(em, `delete from pending_reservations where reservation_id = ?`, [id]);
      released++;
    } catch (error) {
      log.warn({ err: error, reservationId: id }, "release failed; retried later");
    }
  }
  return released;
}
