import type { ItemProgress } from "../orders/domain/order.js";
import type { FulfilmentOrder } from "./domain/fulfilment-order.js";
import { HANDED_OVER } from "./domain/fulfilment-status.js";

/** Units of each order item handed to a carrier, and delivered, over every shipment of the order: what the order follows. */
export function fulfilmentProgress(orders: readonly FulfilmentOrder[]): ItemProgress {
  const progress = new Map<string, { shipped: number; delivered: number }>();
  for (const { view } of orders) {
    for (const shipment of view.shipments) {
      if (!HANDED_OVER.includes(shipment.status)) continue;
      for (const line of shipment.lines) {
        const item = progress.get(line.orderItemId) ?? { shipped: 0, delivered: 0 };
        item.shipped += line.quantity;
        if (shipment.status === "DELIVERED") item.delivered += line.quantity;
        progress.set(line.orderItemId, item);
      }
    }
  }
  return progress;
}

/** The tracking of the parcel handed over last, for an order shipped without one of its own. */
export function latestTracking(orders: readonly FulfilmentOrder[]): { trackingNumber: string; carrier: string } | undefined {
  const handedOver = orders
    .flatMap(({ view }) => view.shipments)
    .filter((shipment) => HANDED_OVER.includes(shipment.status) && shipment.trackingNumber)
    .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime());
  const last = handedOver.at(-1);
  return last && { trackingNumber: last.trackingNumber, carrier: last.carrier };
}
