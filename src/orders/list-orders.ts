import { createHash } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { OrderStatus as OrderStatusProto, type ListOrdersRequest } from "../../gen/shop/order/v1/order_pb.js";
import { USER_ID, Violations } from "../platform/validation.js";
import type { OrderRecord } from "./order-record.js";
import { queryOrders, selectOrders } from "./order-rows.js";
import type { OrderStatus } from "./order-status.js";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

interface Filters {
  readonly statuses: OrderStatus[];
  readonly userId: string;
  readonly customerEmail: string;
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
}

export interface ListOrdersQuery {
  readonly filters: Filters;
  readonly pageSize: number;
  readonly after?: { createdAt: Date; id: string };
  readonly includeTotalSize: boolean;
}

/** The token pins the filters it was issued for, so a changed filter cannot silently skip rows. */
function fingerprint(filters: Filters): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 16);
}

export function encodePageToken(order: OrderRecord, filters: Filters): string {
  return Buffer.from(JSON.stringify({ c: order.createdAt.toISOString(), i: order.id, f: fingerprint(filters) })).toString("base64url");
}

function decodePageToken(token: string, filters: Filters, v: Violations): ListOrdersQuery["after"] {
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
  const filters: Filters = {
    statuses: [...new Set(statuses)].sort(),
    userId: request.userId ? v.text("user_id", request.userId, USER_ID) : "",
    customerEmail: v.text("customer_email", request.customerEmail, { max: 320 }).toLowerCase(),
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
  };
}

/** The filters as a where clause on `orders o`; `deleted_at is null` matches the keyset indexes. */
function where(filters: Filters): { sql: string; params: unknown[] } {
  const clauses = ["o.deleted_at is null"];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => (clauses.push(clause), params.push(...values));
  if (filters.statuses.length) add(`o.status in (${filters.statuses.map(() => "?").join(", ")})`, ...filters.statuses);
  if (filters.userId) add("o.user_id = ?", filters.userId);
  if (filters.customerEmail) add("o.customer_email = ?", filters.customerEmail);
  if (filters.createdAfter) add("o.created_at >= ?", filters.createdAfter);
  if (filters.createdBefore) add("o.created_at < ?", filters.createdBefore);
  return { sql: clauses.join(" and "), params };
}

/** Newest first by (created_at, id): a keyset, so pages stay stable while orders arrive. */
export async function listOrders(em: EntityManager, query: ListOrdersQuery) {
  const base = where(query.filters);
  const keyset = query.after ? " and (o.created_at, o.id) < (?, ?)" : "";
  const rows = await queryOrders(
    em,
    `${selectOrders()} where ${base.sql}${keyset} order by o.created_at desc, o.id desc limit ?`,
    [...base.params, ...(query.after ? [query.after.createdAt, query.after.id] : []), query.pageSize + 1],
  );
  const orders = rows.slice(0, query.pageSize);
  const last = orders.at(-1);
  const count = async () => {
    const [row] = await em.execute<{ n: string }[]>(`select count(*) as n from orders o where ${base.sql}`, base.params);
    return BigInt(row!.n);
  };
  return {
    orders,
    nextPageToken: rows.length > query.pageSize && last ? encodePageToken(last, query.filters) : "",
    totalSize: query.includeTotalSize ? await count() : undefined,
  };
}
