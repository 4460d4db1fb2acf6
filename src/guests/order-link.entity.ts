import { defineEntity, p } from "@mikro-orm/core";

/**
 * A guest order's links: capabilities for reading that one order. The token itself is never
 * stored (it is signed again from the id and expiry when handed out once more); a link works
 * while it is neither revoked nor past its expiry, checked on every read.
 */
const OrderLinkSchema = defineEntity({
  name: "OrderLink",
  tableName: "order_links",
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid().index("order_links_order_id"),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    revokedAt: p.datetime().nullable(),
    revokedBy: p.string().default(""),
    revokeReason: p.string().length(500).default(""),
  },
});
export class OrderLinkRow extends OrderLinkSchema.class {}
OrderLinkSchema.setClass(OrderLinkRow);
