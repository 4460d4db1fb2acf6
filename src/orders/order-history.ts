import type { EntityManager } from "@mikro-orm/postgresql";
import type { StatusChangeView } from "./domain/order.js";
import { assertOrderVisible, findHistoryPage, type Reader } from "./store/order-queries.js";

export const DEFAULT_HISTORY_PAGE = 50;
export const MAX_HISTORY_PAGE = 100;

export interface OrderHistoryQuery {
  readonly orderId: string;
  readonly pageSize: number;
  /** The last change of the previous page. */
  readonly afterId?: bigint;
}

/**
 * One page of an order's status changes, oldest first, for a caller who may read the order (a
 * missing one and another customer's alike are NOT_FOUND), who bought it (to tell the buyer's own
 * changes), and where the next page starts.
 */
export async function orderHistory(
  em: EntityManager,
  reader: Reader,
  query: OrderHistoryQuery,
): Promise<{ buyer: string; changes: StatusChangeView[]; nextAfterId?: bigint }> {
  const { userId: buyer } = await assertOrderVisible(em, query.orderId, reader);
  const rows = await findHistoryPage(em, query.orderId, query.pageSize + 1, query.afterId);
  const page = rows.slice(0, query.pageSize);
  return {
    buyer,
    changes: page.map((row) => row.change),
    nextAfterId: rows.length > query.pageSize ? page.at(-1)!.id : undefined,
  };
}
