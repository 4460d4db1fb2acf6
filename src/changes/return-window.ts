import type { FulfilmentOrder } from "../fulfilment/domain/fulfilment-order.js";
import type { OrderView } from "../orders/domain/order.js";
import { FailedPreconditionError } from "../platform/errors/domain-errors.js";
import type { ChangeAction } from "./domain/change-data.js";

const DAY_MS = 86_400_000;

/**
 * A customer asks for a return within RETURN_WINDOW_DAYS of the last movement of the parcels that
 * carried the item (handed over, or delivered): the later, the kinder. Staff are not held to it.
 */
export function checkReturnWindow(
  order: OrderView,
  actions: readonly ChangeAction[],
  fulfilment: readonly FulfilmentOrder[],
  now: Date,
  windowDays: number,
): void {
  const shipments = fulfilment
    .flatMap((each) => each.view.shipments)
    .filter((shipment) => shipment.status !== "READY" && shipment.status !== "CANCELLED");
  for (const action of actions) {
    const carried = shipments.filter((shipment) => shipment.lines.some((line) => line.orderItemId === action.itemId));
    const last = Math.max(...carried.map((shipment) => shipment.updatedAt.getTime()));
    const closes = new Date(last + windowDays * DAY_MS);
    if (carried.length && closes.getTime() >= now.getTime()) continue;
    const name = order.items.find((item) => item.id === action.itemId)?.name ?? action.itemId;
    throw new FailedPreconditionError(
      "RETURN_WINDOW_CLOSED",
      `returns of "${name}" closed ${carried.length ? `on ${closes.toISOString().slice(0, 10)}` : "(nothing of it shipped)"}: ${windowDays} days after its shipment`,
      [{ type: "RETURN_WINDOW", subject: `orders/${order.id}/items/${action.itemId}`, description: `${windowDays} days after shipment` }],
    );
  }
}
