import type { EntityManager } from "@mikro-orm/postgresql";
import { encodePageToken, type PageStart } from "./page-token.js";
import { countOrders, countOrdersByStatus, findOrderPage, type OrderFilters } from "./store/order-queries.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface ListOrdersQuery {
  readonly filters: OrderFilters;
  readonly pageSize: number;
  readonly after?: PageStart;
  readonly includeTotalSize: boolean;
  readonly includeStatusCounts: boolean;
}

/** One page, and the token of the next: one more row than the page is read to know whether there is one. */
export async function listOrders(em: EntityManager, query: ListOrdersQuery) {
  const rows = await findOrderPage(em, query.filters, query.pageSize + 1, query.after);
  const orders = rows.slice(0, query.pageSize);
  const last = orders.at(-1);
  return {
    orders,
    nextPageToken: rows.length > query.pageSize && last ? encodePageToken(last, query.filters) : "",
    totalSize: query.includeTotalSize ? await countOrders(em, query.filters) : undefined,
    statusCounts: query.includeStatusCounts ? await countOrdersByStatus(em, query.filters) : undefined,
  };
}
