import type { Allocation } from "../catalog/catalog-ports.js";
import type { AuditStamp } from "../orders/domain/audit-stamp.js";
import type { OrderView } from "../orders/domain/order.js";
import { newId } from "../platform/clock.js";
import { FailedPreconditionError } from "../platform/errors/domain-errors.js";
import type { FulfilmentOrder } from "./domain/fulfilment-order.js";
import { planFulfilment } from "./plan-fulfilment.js";

/** Items change only while no parcel of the order exists (a READY one can be cancelled first). */
export function checkReplannable(orders: readonly FulfilmentOrder[]): void {
  const shipment = orders.flatMap(({ view }) => view.shipments).find((candidate) => candidate.status !== "CANCELLED");
  if (shipment) {
    throw new FailedPreconditionError(
      "ITEMS_IN_SHIPMENTS",
      "the order's items cannot change once a parcel of it exists; cancel READY shipments first",
      [{ type: "SHIPMENT", subject: `shipments/${shipment.id}`, description: `is ${shipment.status}` }],
    );
  }
}

/**
 * The order's items changed and Inventory re-allocated its reservation: the live fulfilment
 * orders are cancelled and new ones planned from the new allocations, as at placement. Holds that
 * staff placed carry over to the new fulfilment orders of the same seller.
 */
export function replanFulfilment(orders: FulfilmentOrder[], order: OrderView, allocations: readonly Allocation[], by: AuditStamp): void {
  const carried = new Map<string, FulfilmentOrder["view"]["holds"]>();
  for (const old of orders.filter((candidate) => candidate.status !== "CANCELLED")) {
    const holds = old.view.holds.filter((hold) => hold.releasedAt === null && hold.reason !== "AWAITING_PAYMENT");
    carried.set(old.view.sellerId, [...(carried.get(old.view.sellerId) ?? []), ...holds]);
    old.cancel(by);
  }
  for (const made of planFulfilment(order, allocations, by)) {
    for (const hold of carried.get(made.view.sellerId) ?? []) {
      const free = !made.view.holds.some((existing) => existing.handle === hold.handle);
      made.hold({ id: newId(), reason: hold.reason, note: hold.note, ...(free ? { handle: hold.handle } : {}) }, by);
    }
    orders.push(made);
  }
}
