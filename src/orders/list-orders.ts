import { createHash } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { OrderStatus as OrderStatusProto, type ListOrdersRequest } from "../../gen/shop/order/v1/order_pb.js";
import { USER_ID, Violations } from "../platform/validation.js";
import { countOrders, countOrdersByStatus, findOrderPage, type OrderFilters } from "./order-repository.js";
import type { OrderStatus } from "./order-status.js";
import type { OrderView } from "./order.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const ORDER_NUMBER = { max: 32, pattern: /^[A-Za-z0-9-]*$/, hint: "must be an order number such as ORD-2026-000123" };

export interface ListOrdersQuery {
  readonly filters: OrderFilters;
  readonly pageSize: number;
  readonly after?: { createdAt: Date; id: string };
  readonly includeTotalSize: boolean;
  readonly includeStatusCounts: boolean;
}

/** The token pins the filters it was issued for, so a changed filter cannot silently skip rows. */
function fingerprint(filters: OrderFilters): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 16);
}

export function encodePageToken(order: OrderView, filters: OrderFilters): string {
  return Buffer.from(JSON.stringify({ c: order.createdAt.toISOString(), i: order.id, f: fingerprint(filters) })).toString("base64url");
}

function decodePageToken(token: string, filters: OrderFilters, v: Violations): ListOrdersQuery["after"] {
  try {
    const { c, i, f } = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { c: string; i: string; f: string };
    const createdAt = new Date(c);
    if (typeof i !== "string" || Number.isNaN(createdAt.getTime())) throw new Error("malformed");
    if (f !== fingerprint(filters)) {
      v.add("page_token", "was issued for different filters; keep the filters or start from the first page");
      return undefined;
    }
    return { createdAt, id: i };
  } catch {
    v.add("page_token", "is not a token this service issued");
    return undefined;
  }
}

export function parseListOrders(request: ListOrdersRequest): ListOrdersQuery {
  const v = new Violations();
  v.check(request.pageSize >= 0, "page_size", "must not be negative");
  const statuses = request.statuses.map((status, i) => {
    v.check(status !== OrderStatusProto.UNSPECIFIED && OrderStatusProto[status] !== undefined, `statuses[${i}]`, "must be a known status");
    return OrderStatusProto[status] as OrderStatus;
  });
  const filters: OrderFilters = {
    statuses: [...new Set(statuses)].sort(),
    userId: request.userId ? v.text("user_id", request.userId, USER_ID) : "",
    customerEmail: v.text("customer_email", request.customerEmail, { max: 320 }).toLowerCase(),
    sellerId: request.sellerId ? v.text("seller_id", request.sellerId, USER_ID) : "",
    orderNumber: v.text("order_number", request.orderNumber, ORDER_NUMBER).toUpperCase(),
    createdAfter: v.timestamp("created_after", request.createdAfter),
    createdBefore: v.timestamp("created_before", request.createdBefore),
  };
  if (filters.createdAfter && filters.createdBefore) {
    v.check(filters.createdAfter < filters.createdBefore, "created_before", "must be later than created_after");
  }
  const after = request.pageToken ? decodePageToken(request.pageToken, filters, v) : undefined;
  v.throwIfAny();
  return {
    filters,
    // Larger sizes are lowered rather than refused, as AIP-158 suggests.
    pageSize: Math.min(request.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    after,
    includeTotalSize: request.includeTotalSize,
    includeStatusCounts: request.includeStatusCounts,
  };
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
