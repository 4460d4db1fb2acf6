import { defineEntity, p } from "@mikro-orm/core";
import type { Check, Fields, Holds } from "../../db/fields.js";
import type { ChangeAction, ChangeLine, OrderChangeFields, ReceivedLine } from "../domain/change-data.js";
import { CHANGE_STATUSES, CHANGE_TYPES, RETURN_STATUSES } from "../domain/change-status.js";

/*
 * Order changes. Actions, lines and what was received are JSON in the change's row: they are only
 * read and written with it, under the order's lock, and capped (MAX_ACTIONS). At most one open
 * change per order, by a unique index the domain's own check stands in front of.
 */
const OrderChangeSchema = defineEntity({
  name: "OrderChange",
  tableName: "order_changes",
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    type: p.enum(CHANGE_TYPES),
    status: p.enum(CHANGE_STATUSES),
    returnStatus: p.enum(["", ...RETURN_STATUSES] as const).default(""),
    orderVersion: p.integer(),
    actions: p.json<ChangeAction[]>(),
    lines: p.json<ChangeLine[]>(),
    note: p.string().length(500).default(""),
    createdBy: p.string(),
    byCustomer: p.boolean(),
    decisionReason: p.string().length(500).default(""),
    decidedBy: p.string().default(""),
    received: p.json<ReceivedLine[]>(),
    receivingLocationId: p.string().default(""),
    sellerIds: p.json<string[]>(),
    version: p.integer(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [
    { name: "order_changes_order_id", properties: ["orderId"] },
    {
      name: "order_changes_queue",
      expression: `create index "order_changes_queue" on "order_changes" ("created_at" desc, "id" desc)`,
    },
    {
      name: "order_changes_seller_ids",
      expression: `create index "order_changes_seller_ids" on "order_changes" using gin ("seller_ids")`,
    },
    {
      name: "order_changes_one_open",
      expression: `create unique index "order_changes_one_open" on "order_changes" ("order_id") where "status" in ('PENDING', 'REQUESTED')`,
    },
  ],
});
export class OrderChangeRow extends OrderChangeSchema.class {}
OrderChangeSchema.setClass(OrderChangeRow);

/** Compile-time only: fails to compile when the table and the domain's data differ. */
export type TableHoldsTheChange = Check<Holds<Fields<OrderChangeRow, never>, OrderChangeFields>>;
