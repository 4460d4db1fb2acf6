import { defineEntity, p } from "@mikro-orm/core";

/** A stock reservation asked of Inventory for an order not written yet (pending-reservations.ts). */
const PendingReservationSchema = defineEntity({
  name: "PendingReservation",
  tableName: "pending_reservations",
  properties: {
    reservationId: p.string().length(64).primary(),
    leaseUntil: p.datetime().index(),
    abandoned: p.boolean().default(false),
    releaseAttempts: p.integer().default(0),
  },
});
export class PendingReservation extends PendingReservationSchema.class {}
PendingReservationSchema.setClass(PendingReservation);

/** Stock operations (commit, move, ...) asked of Inventory by an order change not committed yet (pending-operations.ts). */
const PendingStockChangeSchema = defineEntity({
  name: "PendingStockChange",
  tableName: "pending_stock_changes",
  properties: {
    changeId: p.string().length(64).primary(),
    reservationId: p.string().length(64),
    leaseUntil: p.datetime().index(),
    abandoned: p.boolean().default(false),
    undoAttempts: p.integer().default(0),
  },
});
export class PendingStockChange extends PendingStockChangeSchema.class {}
PendingStockChangeSchema.setClass(PendingStockChange);
