import { requireStatus } from "./order-lifecycle.js";
import type { ChangeOutcome, MutationContext } from "./order-mutation.js";
import type { Order } from "./order.entity.js";

/**
 * Soft delete: readers no longer see the order, the row, its items, history and events stay for
 * audit. Only closed orders: an open one still holds stock or money, so cancel or refund first.
 */
export async function deleteOrder(order: Order, reason: string, context: MutationContext): Promise<ChangeOutcome> {
  requireStatus(order, ["DELIVERED", "CANCELLED", "REFUNDED"], "delete the order");
  order.deletedAt = context.now;
  return { events: [{ case: "orderDeleted", value: { reason } }] };
}
