import { ItemStatus as ItemStatusProto, type UpdateOrderItemStatusRequest } from "../../gen/shop/order/v1/order_pb.js";
import { eventItemStatus } from "./order-events.js";
import { NotFoundError } from "../platform/domain-errors.js";
import { REQUEST_ID, UUID, Violations } from "../platform/validation.js";
import { cancelOrder } from "./cancel-order.js";
import { deliver } from "./change-status.js";
import { orderIdField } from "./get-order.js";
import { transitionItem, type ItemStatus } from "./item-status.js";
import { allItemsFinal, requireStatus } from "./order-lifecycle.js";
import type { ChangeOutcome, MutationContext, MutationTarget } from "./order-mutation.js";
import type { Order } from "./order.entity.js";

export interface ItemStatusCommand extends MutationTarget {
  readonly requestId: string;
  readonly itemId: string;
  readonly status: ItemStatus;
}

export function parseItemStatus(request: UpdateOrderItemStatusRequest): ItemStatusCommand {
  const v = new Violations();
  const status = request.status === ItemStatusProto.UNSPECIFIED ? undefined : (ItemStatusProto[request.status] as ItemStatus | undefined);
  v.check(status !== undefined && status !== "PENDING", "status", "must be PROCESSING, SHIPPED, DELIVERED or CANCELLED");
  const command = {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    orderId: orderIdField(v, request.orderId),
    expectedVersion: request.expectedVersion,
    itemId: v.text("item_id", request.itemId, UUID).toLowerCase(),
    status: status!,
  };
  v.throwIfAny();
  return command;
}

/** Which order statuses let an item reach each status: a parcel ships only with the order's tracking. */
const ORDER_STATUSES_FOR: Record<ItemStatus, readonly Order["status"][]> = {
  PENDING: [],
  PROCESSING: ["CONFIRMED", "PAID", "PROCESSING"],
  CANCELLED: ["CONFIRMED", "PAID", "PROCESSING"],
  SHIPPED: ["PROCESSING", "SHIPPED"],
  DELIVERED: ["SHIPPED"],
};

/**
 * Moves one item. A cancelled item gives its stock back while the reservation is held. When
 * every item is final the order completes: DELIVERED if anything was delivered, else CANCELLED.
 */
export async function changeItemStatus(order: Order, command: ItemStatusCommand, context: MutationContext): Promise<ChangeOutcome> {
  const item = order.items.getItems().find((candidate) => candidate.id === command.itemId);
  if (!item) throw new NotFoundError("order item", command.itemId);
  requireStatus(order, ORDER_STATUSES_FOR[command.status], `mark an item ${command.status}`);
  const from = item.status;
  item.status = transitionItem(item.id, from, command.status);
  const events: ChangeOutcome["events"] = [
    { case: "orderItemStatusChanged", value: { itemId: item.id, fromStatus: eventItemStatus(from), toStatus: eventItemStatus(item.status) } },
  ];
  const open = order.items.getItems().filter((line) => line.status !== "CANCELLED");
  if (!open.length) return { events: [...events, ...(await cancelOrder(order, "every item was cancelled", context)).events] };
  if (command.status === "CANCELLED") {
    await context.deps.inventory.adjust(order.reservationId, open.map((line) => ({ productId: line.productId, quantity: line.quantity })), context.signal);
  }
  if (allItemsFinal(order) && order.status === "SHIPPED") events.push(...deliver(order, "every item was delivered", context).events);
  return { events };
}
