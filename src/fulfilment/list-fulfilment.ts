import type { EntityManager } from "@mikro-orm/postgresql";
import { decodePageToken, encodePageToken } from "../orders/page-token.js";
import { InvalidArgumentError } from "../platform/errors/domain-errors.js";
import type { FulfilmentOrderView } from "./domain/fulfilment-order.js";
import type { FulfilmentStatus } from "./domain/fulfilment-status.js";
import { findFulfilment, fulfilmentQueue } from "./store/fulfilment-queries.js";

export interface ListFulfilmentQuery {
  /** One order's; '' lists the queue. */
  readonly orderId: string;
  readonly statuses: readonly FulfilmentStatus[];
  readonly pageSize: number;
  readonly pageToken: string;
  /** A seller's own only. */
  readonly sellerId?: string;
}

/** The work still to do when no status is named. */
const QUEUE_STATUSES: readonly FulfilmentStatus[] = ["OPEN", "IN_PROGRESS"];

/**
 * One order's fulfilment orders (all of them: an order has at most 50), or the queue across
 * orders, oldest first by (created_at, id), a keyset: a page token names where the last page
 * ended and the filters it was issued for.
 */
export async function listFulfilment(
  em: EntityManager,
  query: ListFulfilmentQuery,
): Promise<{ orders: FulfilmentOrderView[]; nextPageToken: string }> {
  if (query.orderId) return { orders: await findFulfilment(em, query.orderId, query.sellerId), nextPageToken: "" };
  const filters = { sellerId: query.sellerId, statuses: query.statuses.length ? query.statuses : QUEUE_STATUSES };
  const after = query.pageToken ? decodePageToken(query.pageToken, filters) : undefined;
  if (typeof after === "string") throw new InvalidArgumentError([{ field: "page_token", description: after }]);
  const page = await fulfilmentQueue(em, filters, query.pageSize + 1, after);
  const shown = page.slice(0, query.pageSize);
  const last = shown.at(-1);
  const nextPageToken = page.length > query.pageSize && last ? encodePageToken(last, filters) : "";
  return { orders: shown, nextPageToken };
}
