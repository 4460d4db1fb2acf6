import { FailedPreconditionError } from "../platform/domain-errors.js";
import { isFinalItem, type ItemStatus } from "./item-status.js";
import type { MutationContext } from "./order-mutation.js";
import { OrderStatusChange, type Order } from "./order.entity.js";
import { transition, type OrderStatus } from "./order-status.js";
import { eventStatus, type EventPayload } from "./order-events.js";

/** Moves the order through the transition table (throws on an illegal move) and keeps the history row. */
export function moveTo(order: Order, to: OrderStatus, context: MutationContext, reason: string): EventPayload {
  const from = order.status;
  order.status = transition(from, to);
  const change = context.tx.create(OrderStatusChange, { order, fromStatus: from, toStatus: to, changedAt: context.now, actor: context.actor, reason });
  return { case: "orderStatusChanged", value: { fromStatus: eventStatus(from), toStatus: eventStatus(to), reason: change.reason } };
}

/** Items whose current status is one of `from` (callers name only open statuses) move to `to`. */
export function moveItems(order: Order, from: readonly ItemStatus[], to: ItemStatus): void {
  for (const item of order.items) {
    if (from.includes(item.status)) item.status = to;
  }
}

export function cancelOpenItems(order: Order): void {
  moveItems(order, ["PENDING", "PROCESSING"], "CANCELLED");
}

export function allItemsFinal(order: Order): boolean {
  return order.items.getItems().every((item) => isFinalItem(item.status));
}

export function requireStatus(order: Order, allowed: readonly OrderStatus[], action: string): void {
  if (allowed.includes(order.status)) return;
  throw new FailedPreconditionError(
    "ORDER_STATUS_FORBIDS",
    `cannot ${action} while the order is ${order.status}; allowed in ${allowed.join(", ")}`,
    [{ type: "ORDER_STATUS", subject: `orders/${order.id}`, description: `is ${order.status}` }],
  );
}
