import type { AuditStamp } from "../orders/domain/audit-stamp.js";
import type { OrderStatus } from "../orders/domain/order-status.js";
import { FailedPreconditionError } from "../platform/errors/domain-errors.js";
import type { FulfilmentOrder } from "./domain/fulfilment-order.js";
import { isAllowedIn } from "./domain/fulfilment-status.js";

/**
 * The order was cancelled or refunded: nothing more ships from any of its fulfilment orders, and
 * the order's own effect releases the stock still held. A cancelled order may have no parcel at all
 * (what left comes back through returns, not a cancel); neither may have one packed and waiting
 * (READY): cancel those shipments first, so their stock goes back to the shelf.
 */
export function cancelFulfilment(orders: readonly FulfilmentOrder[], to: OrderStatus, by: AuditStamp): void {
  const blocking = orders
    .flatMap(({ view }) => view.shipments)
    .filter((shipment) => (to === "CANCELLED" ? shipment.status !== "CANCELLED" : shipment.status === "READY"));
  if (blocking.length) {
    throw new FailedPreconditionError(
      "SHIPMENTS_EXIST",
      to === "CANCELLED"
        ? "the order has parcels; cancel READY shipments first, and take back what left through a return"
        : "the order has parcels packed and waiting; cancel the READY shipments first",
      blocking.map((shipment) => ({ type: "SHIPMENT", subject: `shipments/${shipment.id}`, description: `is ${shipment.status}` })),
    );
  }
  for (const order of orders) if (isAllowedIn(order.status, "cancel")) order.cancel(by);
}
