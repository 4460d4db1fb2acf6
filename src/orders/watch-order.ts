import type { EntityManager } from "@mikro-orm/postgresql";
import { NotFoundError } from "../platform/errors/domain-errors.js";
import type { OrderNotifications } from "./store/order-notifications.js";
import { findOrder, type Reader } from "./store/order-queries.js";
import type { OrderView } from "./domain/order.js";
import { isSettled } from "./domain/order-status.js";

export type WatchUpdate =
  /** The order as committed; `eventType` is the CloudEvents type of the change, empty for the first. */
  | { readonly kind: "order"; readonly order: OrderView; readonly eventType: string }
  /** Nothing changed for a while: a keep-alive, so proxies do not cut the stream. */
  | { readonly kind: "heartbeat" };

export interface WatchTarget extends Reader {
  readonly orderId: string;
  /** Resuming: the version the caller last received; the first update is sent only if the order moved past it. */
  readonly fromVersion?: bigint;
}

export interface WatchLimits {
  /** The stream ends cleanly after this long; the caller resumes with from_version. */
  readonly maxLifetimeMs: number;
  readonly heartbeatMs: number;
}

/**
 * The order now, then again after each committed change, whichever instance made it. Ends when
 * the order is settled (delivered, cancelled, refunded) or deleted, when the caller goes away, or
 * at the stream's maximum lifetime, so no stream holds its place forever.
 */
export async function* watchOrder(
  em: EntityManager,
  target: WatchTarget,
  notifications: OrderNotifications,
  limits: WatchLimits,
  signal: AbortSignal,
): AsyncGenerator<WatchUpdate> {
  const pending: string[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = notifications.watch(target.orderId, (eventType) => {
    pending.push(eventType);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  const endsAt = Date.now() + limits.maxLifetimeMs;
  try {
    let order = await findOrder(em.fork(), target.orderId, target);
    let seen = target.fromVersion ?? -1n;
    if (BigInt(order.version) > seen) yield { kind: "order", order, eventType: "" };
    seen = BigInt(order.version);
    while (!isSettled(order.status) && !signal.aborted) {
      if (!pending.length) {
        const woken = await wakeOrTimeout((resolve) => (wake = resolve), Math.min(limits.heartbeatMs, endsAt - Date.now()));
        wake = undefined;
        if (signal.aborted || Date.now() >= endsAt) return;
        if (!woken) {
          yield { kind: "heartbeat" };
          continue;
        }
      }
      const types = pending.splice(0).filter(Boolean);
      try {
        order = await findOrder(em.fork(), target.orderId, target);
      } catch (error) {
        if (error instanceof NotFoundError) return;
        throw error;
      }
      if (BigInt(order.version) > seen) yield { kind: "order", order, eventType: types.at(-1) ?? "" };
      seen = BigInt(order.version);
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}

/** True when woken, false when `ms` passed first. */
function wakeOrTimeout(register: (wake: () => void) => void, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(ms, 0));
    register(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
