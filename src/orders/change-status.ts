import type { UpdateOrderStatusRequest } from "../../gen/shop/order/v1/order_pb.js";
import { REQUEST_ID, Violations } from "../platform/validation.js";
import { orderIdField } from "./order-id.js";
import { orderStatusFromProto } from "./order-mapper.js";
import type { MutationContext, MutationTarget } from "./order-mutation.js";
import type { Order } from "./order.js";
import type { OrderStatus } from "./order-status.js";

export interface ChangeStatusCommand extends MutationTarget {
  readonly requestId: string;
  /** PAID only follows a captured payment (PayOrder). */
  readonly status: Exclude<OrderStatus, "PAID">;
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
    status: status as Exclude<OrderStatus, "PAID">,
    reason: v.text("reason", request.reason, { ...REASON, min: status === "CANCELLED" || status === "REFUNDED" ? 1 : 0 }),
    trackingNumber: v.text("tracking_number", request.trackingNumber, TRACKING_NUMBER),
    carrier: v.text("carrier", request.carrier, CARRIER),
  };
  v.throwIfAny();
  return command;
}

/**
 * One entry to the status table. Cancel and refund are the same aggregate methods as their own
 * RPCs, so their effects (release, refund) do not depend on which RPC was called.
 */
export async function changeStatus(order: Order, command: ChangeStatusCommand, context: MutationContext): Promise<void> {
  const { reason } = command;
  const { by } = context;
  switch (command.status) {
    case "CANCELLED":
      return context.run(order.cancel(reason, by));
    case "REFUNDED":
      return context.run(order.refund(reason, by));
    case "SHIPPED":
      return context.run(order.ship({ trackingNumber: command.trackingNumber, carrier: command.carrier }, reason, by));
    case "DELIVERED":
      return order.deliver(reason, by);
    default:
      return order.advance(command.status, reason, by);
  }
}
