import type { EntityManager } from "@mikro-orm/postgresql";
import { NotFoundError } from "../platform/domain-errors.js";
import type { PgListener } from "../platform/pg-listener.js";
import { getOrder } from "./get-order.js";
import type { OrderRecord } from "./order-record.js";
import { isTerminal } from "./order-status.js";

export interface OrderSnapshot {
  readonly order: OrderRecord;
  /** The CloudEvents type of the change that produced it; empty for the first snapshot. */
  readonly eventType: string;
}

/**
 * The order now, then again after each committed change, whichever instance made it: every
 * outbox row NOTIFYs "<order id> <event type>" on commit. Ends when the order reaches a terminal
 * status or is deleted, or when the caller goes away.
 */
export async function* watchOrder(
  em: EntityManager,
  target: { orderId: string; ownerId?: string },
  changes: PgListener,
  signal: AbortSignal,
): AsyncGenerator<OrderSnapshot> {
  const { orderId } = target;
  const pending: string[] = [];
  let wake: (() => void) | undefined;
  const notify = (type: string) => {
    pending.push(type);
    wake?.();
  };
  const subscriptions = [
    changes.subscribe((payload) => {
      const [id, type] = payload.split(" ");
      if (id === orderId) notify(type ?? "");
    }),
    // Notifications sent while the listener reconnected are lost: re-read to be sure.
    changes.onReconnect(() => notify("")),
  ];
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    let order = await getOrder(em.fork(), orderId, { ownerId: target.ownerId });
    yield { order, eventType: "" };
    while (!isTerminal(order.status) && !signal.aborted) {
      if (!pending.length) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (signal.aborted) return;
      const types = pending.splice(0).filter(Boolean);
      const seen = order.version;
      try {
        order = await getOrder(em.fork(), orderId, { ownerId: target.ownerId });
      } catch (error) {
        if (error instanceof NotFoundError) return;
        throw error;
      }
      if (order.version > seen) yield { order, eventType: types.at(-1) ?? "" };
    }
  } finally {
    subscriptions.forEach((unsubscribe) => unsubscribe());
    signal.removeEventListener("abort", onAbort);
  }
}
