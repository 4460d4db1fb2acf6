import { OrderChangeType } from "../../../gen/shop/order/events/v1/order_events_pb.js";
import type { OrderView } from "../../orders/domain/order.js";
import type { EventPayload } from "../../orders/store/order-outbox.js";
import type { ChangeEvent, OrderChangeView } from "../domain/order-change.js";

/*
 * The outbox adapter of order changes: their events as the order's (shop.order.events.v1, keyed
 * by the order id), each item naming its seller. The only place change events meet protobuf.
 */

/** The payloads of a change's events, read against the change and the order as the change left them. */
export function changePayloads(events: readonly ChangeEvent[], change: OrderChangeView, order: OrderView): EventPayload[] {
  const sellerOf = (itemId: string) => order.items.find((item) => item.id === itemId)?.sellerId ?? "";
  const ids = { changeId: change.id, type: OrderChangeType[change.type] };
  const items = change.actions.flatMap((action) => {
    const item = {
      itemId: action.itemId,
      sellerId: action.kind === "ADD_ITEM" ? action.sellerId : sellerOf(action.itemId),
      quantity: action.quantity,
      reason: action.kind === "EDIT_ITEM" || action.kind === "ADD_ITEM" ? "" : action.reason,
      added: action.kind === "ADD_ITEM",
    };
    // A claim's replacement goes out as a new item of its own.
    const replacement = action.kind === "CLAIM_ITEM" && action.replacementItemId;
    return replacement ? [item, { ...item, itemId: replacement, reason: "", added: true }] : [item];
  });
  return events.map((event): EventPayload => {
    switch (event.type) {
      case "OrderChangeRequested":
        return { case: "orderChangeRequested", value: { ...ids, items, byCustomer: change.byCustomer } };
      case "OrderChangeConfirmed":
        return { case: "orderChangeConfirmed", value: { ...ids, items } };
      case "OrderChangeDeclined":
        return { case: "orderChangeDeclined", value: { ...ids, reason: event.reason } };
      case "OrderChangeCanceled":
        return { case: "orderChangeCanceled", value: { ...ids, reason: event.reason } };
      case "ReturnReceived":
        return {
          case: "returnReceived",
          value: {
            changeId: change.id,
            locationId: change.receivingLocationId,
            items: change.received.map((line) => ({
              itemId: line.itemId,
              sellerId: sellerOf(line.itemId),
              goodQuantity: line.good,
              damagedQuantity: line.damaged,
            })),
          },
        };
    }
  });
}
