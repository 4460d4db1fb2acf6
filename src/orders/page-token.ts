import { createHash } from "node:crypto";
import type { OrderView } from "./domain/order.js";
import type { OrderFilters } from "./store/order-queries.js";

/** Where a ListOrders page ended: the keyset of its last order. */
export interface PageStart {
  readonly createdAt: Date;
  readonly id: string;
}

/** The token pins the filters it was issued for, so a changed filter cannot silently skip rows. */
function fingerprint(filters: OrderFilters): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 16);
}

export function encodePageToken(order: OrderView, filters: OrderFilters): string {
  return Buffer.from(JSON.stringify({ c: order.createdAt.toISOString(), i: order.id, f: fingerprint(filters) })).toString("base64url");
}

/** Where the next page starts, or why the token cannot be used. */
export function decodePageToken(token: string, filters: OrderFilters): PageStart | string {
  try {
    const { c, i, f } = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { c: string; i: string; f: string };
    const createdAt = new Date(c);
    if (typeof i !== "string" || Number.isNaN(createdAt.getTime())) throw new Error("malformed");
    if (f !== fingerprint(filters)) return "was issued for different filters; keep the filters or start from the first page";
    return { createdAt, id: i };
  } catch {
    return "is not a token this service issued";
  }
}
