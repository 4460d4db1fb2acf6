import { FulfilmentOrder, type FulfilmentOrderView } from "../../src/fulfilment/domain/fulfilment-order.js";

/** Fixtures for the fulfilment aggregate's unit tests: minutes of one day, actors, ids. */
export const at = (minute: number) => new Date(Date.UTC(2026, 11, 4, 12, minute));
export const by = (minute = 0, actor = "ops-1") => ({ actor, at: at(minute) });
let ids = 0;
export const id = () => `id-${++ids}`;

/** An order's units of item-mug (3) and item-tee (1) at one location of seller-north. */
export function fresh(hold?: "AWAITING_PAYMENT"): FulfilmentOrder {
  return FulfilmentOrder.create(
    {
      id: id(),
      orderId: "order-1",
      sellerId: "seller-north",
      locationId: "north-east",
      lines: [
        { id: "line-mug", orderItemId: "item-mug", productId: "prod-mug", variantId: "", quantity: 3 },
        { id: "line-tee", orderItemId: "item-tee", productId: "prod-tee", variantId: "", quantity: 1 },
      ],
    },
    by(),
    hold && { id: id(), reason: hold, note: "" },
  );
}

export const lines = (entries: [string, number][]) => new Map(entries);
export const ship = (fo: FulfilmentOrder, entries: [string, number][], handedOver = false, minute = 1) =>
  fo.ship({ id: id(), lines: lines(entries), carrier: "UPS", trackingNumber: "1Z", trackingUrl: "", handedOver }, by(minute));
export const remaining = (view: FulfilmentOrderView) => Object.fromEntries(view.lines.map((line) => [line.orderItemId, line.remaining]));
