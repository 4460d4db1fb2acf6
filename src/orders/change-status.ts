import type { MutationContext, MutationTarget } from "./mutate-order.js";
import type { Order } from "./domain/order.js";
import type { OrderStatus } from "./domain/order-status.js";

export interface ChangeStatusCommand extends MutationTarget {
  readonly requestId: string;
  /** PAID only follows a captured payment (PayOrder). */
  readonly status: Exclude<OrderStatus, "PAID">;
  readonly reason: string;
  readonly trackingNumber: string;
  readonly carrier: string;
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
