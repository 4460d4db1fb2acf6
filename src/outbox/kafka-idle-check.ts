import { createRequire } from "node:module";

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests: ((this: RequestQueue) => void) & { idleSkipped?: true };
}

/**
 * kafkajs 2.2.4 checks each broker connection's queue of waiting requests every millisecond for
 * as long as the connection lives, idle or not: once a response has come, the check schedules
 * itself again with a negative delay that Node clamps to 1 ms (tulios/kafkajs#1704, #1751; the
 * fixes, #1667 and #1768, are not in a release). It cost 4.4-4.7% of a core in an idle service
 * (2 cores, AMD EPYC, 2026-12-06), and the negative delay is Node 24's TimeoutNegativeWarning.
 *
 * A check is only needed while requests wait: a request that cannot be sent at once is queued and
 * schedules its own check, and every response checks the queue. So with nothing waiting and no
 * broker throttle in force, no check is scheduled. Installed once, before any client connects.
 */
export function skipIdleRequestChecks(): void {
  const require = createRequire(import.meta.url);
  const { prototype } = require("kafkajs/src/network/requestQueue/index.js") as { prototype: RequestQueue };
  const schedule = prototype.scheduleCheckPendingRequests;
  if (schedule.idleSkipped) return;
  const scheduleWhenWaiting = Object.assign(
    function (this: RequestQueue): void {
      if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
      schedule.call(this);
    },
    { idleSkipped: true as const },
  );
  prototype.scheduleCheckPendingRequests = scheduleWhenWaiting;
}
