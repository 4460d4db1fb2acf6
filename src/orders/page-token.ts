import { createHash } from "node:crypto";
/** Where a page ended: the keyset (created_at, id) of its last row (ListOrders, the fulfilment queue). */
export interface PageStart {
  readonly createdAt: Date;
  readonly id: string;
}

/** The token pins the filters it was issued for, so a changed filter cannot silently skip rows. */
function fingerprint(filters: object): string {
  return createHash("sha256").update(JSON.stringify(filters)).digest("base64url").slice(0, 16);
}

export function encodePageToken(last: PageStart, filters: object): string {
  return Buffer.from(JSON.stringify({ c: last.createdAt.toISOString(), i: last.id, f: fingerprint(filters) })).toString("base64url");
}

/** Where the next page starts, or why the token cannot be used. */
export function decodePageToken(token: string, filters: object): PageStart | string {
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
