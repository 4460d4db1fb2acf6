import { FulfillmentOrderStatus, type FulfillmentOrder } from "../../gen/shop/order/v1/fulfillment_pb.js";
import type { Order } from "../../gen/shop/order/v1/order_pb.js";
import { fulfilment, problemOf, type Role } from "./api.js";
import { field, h, show } from "./dom.js";
import { problemBox } from "./feedback.js";
import { fulfilmentCard, type FulfilmentContext } from "./fulfilment-card.js";
import { fulfilmentStatus } from "./format.js";

/** Message slots kept per fulfilment order across redraws. */
function messageSlots(): (id: string) => HTMLElement {
  const slots = new Map<string, HTMLElement>();
  return (id) => {
    let slot = slots.get(id);
    if (!slot) slots.set(id, (slot = h("div", { class: "message-slot", "aria-live": "polite" })));
    return slot;
  };
}

const byProduct = (line: { productId: string; variantId: string }) => `${line.productId}${line.variantId ? ` (${line.variantId})` : ""}`;

/**
 * The order page's fulfilment: every fulfilment order of the order, with its holds and parcels,
 * read again after each change made here or arriving through WatchOrder.
 */
export function fulfilmentSection(orderId: string, order: () => Order, signal: AbortSignal) {
  const element = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const itemName = (line: { orderItemId: string; productId: string; variantId: string }) =>
    order().items.find((item) => item.id === line.orderItemId)?.name ?? byProduct(line);
  const context: FulfilmentContext = { messageFor: messageSlots(), reload, itemName };
  async function reload(): Promise<void> {
    try {
      const { fulfillmentOrders } = await fulfilment.listFulfillmentOrders({ orderId, pageSize: 100 }, { signal });
      show(
        element,
        fulfillmentOrders.length
          ? h("div", { class: "fo-list" }, ...fulfillmentOrders.map((fo) => fulfilmentCard(fo, context)))
          : h("p", { class: "muted" }, "No fulfilment orders: nothing of this order is to ship."),
      );
    } catch (error) {
      if (!signal.aborted) show(element, problemBox(problemOf(error), "The fulfilment orders could not be read"));
    }
  }
  return { element, reload };
}

const QUEUES: { label: string; statuses: FulfillmentOrderStatus[] }[] = [
  { label: "To ship", statuses: [] },
  { label: "On hold", statuses: [FulfillmentOrderStatus.ON_HOLD] },
  { label: "Scheduled", statuses: [FulfillmentOrderStatus.SCHEDULED] },
  { label: "Shipped in part", statuses: [FulfillmentOrderStatus.IN_PROGRESS, FulfillmentOrderStatus.INCOMPLETE] },
];

/**
 * The work queue: fulfilment orders across orders, oldest first, a page at a time. A seller's
 * token sees its own only (the service narrows it); staff see every seller's.
 */
export function toShipPage(main: HTMLElement, role: Role, query: URLSearchParams, signal: AbortSignal): void {
  const queue = QUEUES.find((q) => q.label === query.get("queue")) ?? QUEUES[0]!;
  const chooser = h("select", { name: "queue" }, ...QUEUES.map((q) => h("option", { value: q.label, selected: q === queue }, q.label)));
  chooser.addEventListener("change", () => (location.hash = `#/to-ship?queue=${encodeURIComponent(chooser.value)}`));
  const list = h("div", { class: "fo-list" }, h("p", { class: "muted" }, "Loading…"));
  const more = h("div", {});
  const context: FulfilmentContext = {
    messageFor: messageSlots(),
    reload: () => load(""),
    itemName: byProduct,
    orderLink: role === "staff" ? (fo) => h("span", {}, " · ", h("a", { href: `#/orders/${fo.orderId}` }, "order")) : undefined,
  };
  const statuses = queue.statuses.length ? ` (${queue.statuses.map(fulfilmentStatus).join(", ")})` : " (open or shipped in part)";
  show(
    main,
    h("h1", {}, role === "seller" ? "Your fulfilment queue" : "Fulfilment queue"),
    h("p", { class: "muted" }, `Oldest first${statuses}.`),
    h("div", { class: "panel filters" }, field("Queue", chooser)),
    list,
    more,
  );

  let shown: FulfillmentOrder[] = [];
  async function load(pageToken: string): Promise<void> {
    try {
      const pages = pageToken ? [...shown] : [];
      const answer = await fulfilment.listFulfillmentOrders({ statuses: queue.statuses, pageToken, pageSize: 20 }, { signal });
      shown = [...pages, ...answer.fulfillmentOrders];
      show(
        list,
        ...(shown.length ? shown.map((fo) => fulfilmentCard(fo, context)) : [h("p", { class: "muted" }, "Nothing waiting here.")]),
      );
      const next = h("button", { type: "button", class: "secondary" }, "Show more");
      next.addEventListener("click", () => void load(answer.nextPageToken));
      show(more, answer.nextPageToken ? next : null);
    } catch (error) {
      if (!signal.aborted) show(list, problemBox(problemOf(error), "The queue could not be read"));
    }
  }
  void load("");
}
