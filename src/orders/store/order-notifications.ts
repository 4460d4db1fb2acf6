import type { PgListener } from "../../db/pg-listener.js";

type Watcher = (eventType: string) => void;

/**
 * The outbox NOTIFYs "<order id> <event type>" on every commit, from any instance. This fans each
 * notification out to the watchers of that one order: a map lookup, whatever the number of open
 * streams. After the listener reconnects every watcher is told (with no event type) to re-read,
 * since notifications sent meanwhile are lost.
 */
export class OrderNotifications {
  private readonly watchers = new Map<string, Set<Watcher>>();

  constructor(listener: PgListener) {
    listener.subscribe((payload) => {
      const space = payload.indexOf(" ");
      const orderId = space < 0 ? payload : payload.slice(0, space);
      const watchers = this.watchers.get(orderId);
      if (!watchers) return;
      const eventType = space < 0 ? "" : payload.slice(space + 1);
      for (const watcher of watchers) watcher(eventType);
    });
    listener.onReconnect(() => {
      for (const watchers of this.watchers.values()) for (const watcher of watchers) watcher("");
    });
  }

  /** Calls `watcher` with the event type of each committed change of the order; returns the unsubscribe function. */
  watch(orderId: string, watcher: Watcher): () => void {
    let watchers = this.watchers.get(orderId);
    if (!watchers) this.watchers.set(orderId, (watchers = new Set()));
    watchers.add(watcher);
    return () => {
      watchers.delete(watcher);
      if (!watchers.size && this.watchers.get(orderId) === watchers) this.watchers.delete(orderId);
    };
  }
}
