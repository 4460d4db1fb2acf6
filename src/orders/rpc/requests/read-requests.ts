import {
  OrderStatus as OrderStatusProto,
  type GetOrderHistoryRequest,
  type ListOrdersRequest,
  type WatchOrderRequest,
} from "../../../../gen/shop/order/v1/order_pb.js";
import { DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE, type OrderHistoryQuery } from "../../order-history.js";
import { USER_ID, Violations } from "../../../platform/validation.js";
import type { OrderStatus } from "../../domain/order-status.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type ListOrdersQuery } from "../../list-orders.js";
import { decodePageToken } from "../../page-token.js";
import type { OrderFilters } from "../../store/order-queries.js";
import type { WatchTarget } from "../../watch-order.js";
import { ORDER_NUMBER, orderIdField } from "./field-rules.js";

/** The parsers of the requests that read orders. */

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
  const after = request.pageToken ? decodePageToken(request.pageToken, filters) : undefined;
  if (typeof after === "string") v.add("page_token", after);
  v.throwIfAny();
  return {
    filters,
    // Larger sizes are lowered rather than refused, as AIP-158 suggests.
    pageSize: Math.min(request.pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    after: typeof after === "string" ? undefined : after,
    includeTotalSize: request.includeTotalSize,
    includeStatusCounts: request.includeStatusCounts,
  };
}

export function parseWatchOrder(request: WatchOrderRequest): Pick<WatchTarget, "orderId" | "fromVersion"> {
  const v = new Violations();
  const orderId = orderIdField(v, request.orderId);
  v.check(request.fromVersion === undefined || request.fromVersion >= 0n, "from_version", "must not be negative");
  v.throwIfAny();
  return { orderId, fromVersion: request.fromVersion };
}

export function parseGetOrderHistory(request: GetOrderHistoryRequest): OrderHistoryQuery {
  const v = new Violations();
  const orderId = orderIdField(v, request.orderId);
  v.check(request.pageSize >= 0, "page_size", "must not be negative");
  const afterId = request.pageToken ? historyPageStart(request.pageToken, orderId) : undefined;
  v.check(afterId !== null, "page_token", "is not a token this service issued for this order");
  v.throwIfAny();
  return { orderId, pageSize: Math.min(request.pageSize || DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE), afterId: afterId ?? undefined };
}

/** A history page token: the order and the last change of the page, so a token cannot page another order. */
export function historyPageToken(orderId: string, afterId: bigint): string {
  return Buffer.from(JSON.stringify({ o: orderId, h: String(afterId) })).toString("base64url");
}

function historyPageStart(token: string, orderId: string): bigint | null {
  try {
    const { o, h } = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o: unknown; h: unknown };
    return o === orderId && typeof h === "string" && /^\d{1,19}$/.test(h) ? BigInt(h) : null;
  } catch {
    return null;
  }
}
