import { UUID, Violations } from "../../../platform/validation.js";

/** A work queue's page: one order's entries (or everyone's), of some statuses, newest first. */
export interface QueuePage<S> {
  readonly orderId: string;
  readonly statuses: S[];
  readonly pageSize: number;
  readonly pageToken: string;
}

/**
 * A queue listing's request (ListOrderChanges, ListFulfillmentOrders): statuses each one of
 * `allowed`, at most 100 a page (0 means 20), a token of at most 512 characters.
 */
export function parseQueuePage<S extends string, P>(
  request: { orderId: string; statuses: P[]; pageSize: number; pageToken: string },
  statusOf: (status: P) => S | undefined,
  allowed: readonly S[],
): QueuePage<S> {
  const v = new Violations();
  const statuses = request.statuses.map((status, i) => {
    const parsed = statusOf(status);
    v.check(parsed !== undefined && allowed.includes(parsed), `statuses[${i}]`, `must be one of ${allowed.join(", ")}`);
    return parsed!;
  });
  v.check(request.pageSize >= 0 && request.pageSize <= 100, "page_size", "must be 0 (meaning 20) to 100");
  v.check(request.pageToken.length <= 512, "page_token", "must be at most 512 characters");
  const query = {
    orderId: request.orderId ? v.text("order_id", request.orderId, UUID).toLowerCase() : "",
    statuses,
    pageSize: request.pageSize || 20,
    pageToken: request.pageToken,
  };
  v.throwIfAny();
  return query;
}
