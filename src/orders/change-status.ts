import type { UpdateOrderStatusRequest } from "../../gen/shop/order/v1/order_pb.js";
import { REQUEST_ID, Violations } from "../platform/validation.js";
import { cancelOrder, refundOrder } from "./cancel-order.js";
import { orderIdField } from "./get-order.js";
import { allItemsFinal, moveItems, moveTo } from "./order-lifecycle.js";
import { orderStatusFromProto } from "./order-mapper.js";
import type { ChangeOutcome, MutationContext, MutationTarget } from "./order-mutation.js";
import type { Order } from "./order.entity.js";
import type { OrderStatus } from "./order-status.js";

export interface ChangeStatusCommand extends MutationTarget {
  readonly requestId: string;
  readonly status: OrderStatus;
  readonly reason: string;
  readonly trackingNumber: string;
  readonly carrier: string;
}

export const TRACKING_NUMBER = { max: 64, pattern: /^[A-Za-z0-9-]+$/, hint: "must be letters, digits or dashes" };
export const CARRIER = { max: 64 };
export const REASON = { max: 500 };

export function parseChangeStatus(request: UpdateOrderStatusRequest): ChangeStatusCommand {
  const v = new Violations();
  const status = orderStatusFromProto(request.status);
  v.check(status !== undefined, "status", "is required");
  v.check(status !== "PAID", "status", "PAID follows a captured payment; use PayOrder");
  const command = {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    orderId: orderIdField(v, request.orderId),
    expectedVersion: request.expectedVersion,
    status: status!,
    reason: v.text("reason", request.reason, { ...REASON, min: status === "CANCELLED" || status === "REFUNDED" ? 1 : 0 }),
    trackingNumber: v.text("tracking_number", request.trackingNumber, TRACKING_NUMBER),
    carrier: v.text("carrier", request.carrier, CARRIER),
  };
  v.throwIfAny();
  return command;
}

/**
 * One entry to the status table. Cancel and refund run the same use cases as their own RPCs, so
 * their effects (release, refund) do not depend on which RPC was called.
 */
export async function changeStatus(order: Order, command: ChangeStatusCommand, context: MutationContext): Promise<ChangeOutcome> {
  switch (command.status) {
    case "CANCELLED":
      return cancelOrder(order, command.reason, context);
    case "REFUNDED":
      return refundOrder(order, command.reason, context);
    case "SHIPPED":
      return ship(order, command, context);
    case "DELIVERED":
      return deliver(order, command.reason, context);
    default: {
      const changed = moveTo(order, command.status, context, command.reason);
      if (command.status === "PROCESSING") moveItems(order, ["PENDING"], "PROCESSING");
      return { events: [changed] };
    }
  }
}

/** SHIPPED needs a tracking number, given now or earlier. The reserved stock has left: commit it. */
async function ship(order: Order, command: ChangeStatusCommand, context: MutationContext): Promise<ChangeOutcome> {
  const trackingNumber = command.trackingNumber || order.trackingNumber;
  if (!trackingNumber) {
    const v = new Violations();
    v.add("tracking_number", "is required to ship an order that has none");
    v.throwIfAny();
  }
  const changed = moveTo(order, "SHIPPED", context, command.reason);
  order.trackingNumber = trackingNumber;
  order.carrier = command.carrier || order.carrier;
  moveItems(order, ["PENDING", "PROCESSING"], "SHIPPED");
  await context.deps.inventory.commit(order.reservationId, context.signal);
  return { events: [changed, { case: "orderShipped", value: { trackingNumber, carrier: order.carrier } }] };
}

export function deliver(order: Order, reason: string, context: MutationContext): ChangeOutcome {
  const changed = moveTo(order, "DELIVERED", context, reason);
  moveItems(order, ["SHIPPED"], "DELIVERED");
  const events: ChangeOutcome["events"] = [changed, { case: "orderDelivered", value: {} }];
  if (allItemsFinal(order)) events.push({ case: "orderCompleted", value: {} });
  return { events };
}
