import type { FulfilmentContext } from "../fulfilment/mutate-fulfilment.js";
import { deliverShipments, dropItem, shipItem, shipWholeOrder } from "../fulfilment/order-level-shipping.js";
import type { ItemStatusCommand } from "./rpc/requests/change-requests.js";
import type { MutationTarget } from "./mutate-order.js";
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
 * RPCs, so their effects (release, refund) do not depend on which RPC was called. SHIPPED and
 * DELIVERED move the fulfilment orders (order-level-shipping.ts): one parcel of everything left,
 * or every parcel delivered.
 */
export async function changeStatus(order: Order, command: ChangeStatusCommand, context: FulfilmentContext): Promise<void> {
  const { reason } = command;
  const { by } = context;
  switch (command.status) {
    case "CANCELLED":
      return void (await context.run(order.cancel(reason, by)));
    case "REFUNDED":
      return void (await context.run(order.refund(reason, by)));
    case "SHIPPED": {
      order.ship({ trackingNumber: command.trackingNumber, carrier: command.carrier }, reason, by);
      const { trackingNumber, carrier } = order.view;
      return shipWholeOrder(context, { trackingNumber, carrier });
    }
    case "DELIVERED":
      deliverShipments(context);
      return order.deliver(reason, by);
    default:
      return order.advance(command.status, reason, by);
  }
}

/**
 * A seller's (or staff's) item moves. SHIPPED ships its remaining units (one parcel per fulfilment
 * order holding them, handed over, with the order's tracking); DELIVERED delivers the parcels
 * carrying it; CANCELLED takes its units out of the fulfilment orders and gives them back to stock.
 */
export async function changeItemStatus(
  order: Order,
  command: ItemStatusCommand,
  sellerId: string | undefined,
  context: FulfilmentContext,
): Promise<void> {
  const { itemId, status } = command;
  const effects = order.changeItemStatus(itemId, status, context.by, sellerId);
  const { trackingNumber, carrier } = order.view;
  if (status === "SHIPPED") shipItem(context, itemId, { trackingNumber, carrier });
  if (status === "DELIVERED") deliverShipments(context, itemId);
  // The last live item cancelled cancels the order, which releases the whole reservation.
  if (status === "CANCELLED" && order.status !== "CANCELLED") dropItem(context, itemId);
  await context.run(effects);
}
