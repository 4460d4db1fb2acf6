import { Code } from "@connectrpc/connect";
import {
  OrderStatus,
  type GetOrderStatusResponse,
  type ListOrderEventsResponse,
  type Order,
  type OrderEventRecord,
} from "../../gen/shop/order/v1/order_pb.js";
import { orders, problemOf } from "./api.js";
import { h, show, table } from "./dom.js";
import { act, problemBox } from "./feedback.js";
import { fulfilmentSection } from "./fulfilment-list.js";
import { attributes, itemStatus, money, orderStatus, paymentStatus, time } from "./format.js";
import { moneyPanel } from "./money-panel.js";
import { addItemForm, detailsForm, itemControls, statusActions, type Changed, type OrderState } from "./order-actions.js";
import { guestLinksForm } from "./guest-links.js";

const SETTLED = [OrderStatus.DELIVERED, OrderStatus.CANCELLED, OrderStatus.REFUNDED];

function itemsTable(state: OrderState, changed: Changed, message: HTMLElement): HTMLElement {
  const { order } = state;
  const rows = order.items.map((item) =>
    h(
      "tr",
      {},
      h(
        "th",
        { scope: "row" },
        h("div", {}, item.name),
        h(
          "div",
          { class: "muted small" },
          `${item.productId} · ${item.sku}${item.variantId ? ` · ${attributes(item.variantAttributes)}` : ""}`,
        ),
      ),
      h("td", { "data-label": "Seller" }, item.sellerId || "–"),
      h("td", { class: "num", "data-label": "Qty" }, item.quantity),
      h("td", { class: "num", "data-label": "Unit price" }, money(item.unitPrice)),
      h("td", { class: "num", "data-label": "Line total" }, money(item.lineTotal)),
      h("td", { "data-label": "Status" }, h("span", { class: "status" }, itemStatus(item.status))),
      h("td", { "data-label": "Change" }, itemControls(state, item, changed, message)),
    ),
  );
  return table("Items", ["Item", "Seller", "Qty", "Unit price", "Line total", "Status", "Change"], rows, { class: "items" });
}

function summary(order: Order): HTMLElement {
  const line = (term: string, value: string) => [h("dt", {}, term), h("dd", {}, value)];
  const customer = order.customer;
  const address = order.shippingAddress;
  return h(
    "dl",
    { class: "facts" },
    ...line("Status", orderStatus(order.status)),
    ...line("Payment", `${paymentStatus(order.payment?.status)}${order.payment?.display ? ` · ${order.payment.display}` : ""}`),
    ...line("Subtotal", money(order.subtotal)),
    ...line("Tax", money(order.tax)),
    ...line("Shipping", money(order.shipping)),
    ...line("Total", money(order.total)),
    ...line(
      "Customer",
      `${customer?.firstName ?? ""} ${customer?.lastName ?? ""} · ${customer?.email ?? ""} · ${order.guest ? "guest checkout (no account)" : `user ${order.userId}`}`,
    ),
    ...line(
      "Ship to",
      address
        ? [address.line1, address.line2, address.city, address.state, address.postalCode, address.countryCode].filter(Boolean).join(", ")
        : "–",
    ),
    ...line("Tracking", order.trackingNumber ? `${order.trackingNumber}${order.carrier ? ` (${order.carrier})` : ""}` : "none yet"),
    ...line("Notes", order.notes || "–"),
    ...line("Placed", time(order.createTime)),
    ...line("Cancel reason", order.cancelReason || "–"),
  );
}

function historyTable(status: GetOrderStatusResponse): HTMLElement {
  const rows = status.history.map((change) =>
    h(
      "tr",
      {},
      h("td", {}, time(change.changeTime)),
      h("td", {}, `${change.fromStatus ? orderStatus(change.fromStatus) : "–"} → ${orderStatus(change.toStatus)}`),
      h("td", {}, change.actor),
      h("td", {}, change.reason || "–"),
    ),
  );
  return table("Status history", ["When", "Change", "By", "Reason"], rows);
}

/** Where an event stands on its way to Kafka: published, waiting, refused (retried by itself) or parked (for staff to retry). */
function delivery(event: OrderEventRecord): HTMLElement {
  if (event.published) return h("span", { class: "pill ok" }, `published ${time(event.publishTime)}`);
  if (event.parked) return h("span", { class: "pill bad" }, `parked: ${event.lastError}`);
  if (event.lastError) return h("span", { class: "pill wait" }, `refused, tried again ${time(event.nextAttemptTime)}: ${event.lastError}`);
  return h("span", { class: "pill wait" }, "waiting for the relay");
}

function eventsTable(events: readonly OrderEventRecord[]): HTMLElement {
  const rows = events.map((event) =>
    h(
      "tr",
      {},
      h("td", {}, time(event.occurTime)),
      h("td", {}, event.type.replace("shop.order.v1.", "")),
      h("td", {}, delivery(event)),
      h("td", { class: "num" }, event.attempts),
    ),
  );
  return table("Events written for this order", ["Written", "Event", "Kafka", "Attempts"], rows);
}

/** The events, and when the broker refused some for good (parked), the button that releases them. */
function eventsSection(orderId: string, log: ListOrderEventsResponse): HTMLElement {
  const slot = h("div", {}, eventsTable(log.events));
  if (!log.events.some((event) => event.parked)) return slot;
  const message = h("div", { class: "message-slot", "aria-live": "polite" });
  const retry = h("button", { type: "button" }, "Retry parked events");
  retry.addEventListener("click", () => {
    void act(
      message,
      "Released: the relay sends them again, then this order's later events.",
      async () => show(slot, eventsTable((await orders.retryOrderEvents({ requestId: crypto.randomUUID(), orderId })).events)),
      retry,
    );
  });
  const why = "The broker refused a parked event every time; fix the cause (a missing topic, a size limit), then retry.";
  return h("div", {}, slot, h("p", {}, why), retry, message);
}

const section = (id: string, title: string, extra = "") => {
  const body = h("div", { class: "section-body" }, h("p", { class: "muted" }, "Loading…"));
  return {
    body,
    element: h("section", { class: `panel ${extra}`, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), body),
  };
};

/** One order: items, money, actions, history and its events, following WatchOrder while the page is open. */
export function orderPage(main: HTMLElement, orderId: string, signal: AbortSignal): void {
  const title = h("h1", {}, "Order");
  const live = h("p", { class: "live", role: "status" }, "Connecting…");
  const message = h("div", { class: "message-slot" });
  const [items, fulfilment, money, facts, actions, details, history, events] = [
    section("items", "Items", "wide"),
    section("fulfilment", "Fulfilment: parcels, holds, where it ships from", "wide"),
    section("money", "Return / exchange / claim, and the money ledger", "wide"),
    section("facts", "Summary"),
    section("actions", "Staff actions"),
    section("details", "Shipping and notes"),
    section("history", "Status history"),
    section("events", "Events written", "wide"),
  ];
  // The sections appear at once, with everything in them, when the order has been read: drawn
  // piece by piece, each arriving part would push the ones below it down.
  const page = h("div", {}, h("p", { class: "muted" }, "Loading the order…"));
  const grid = h(
    "div",
    { class: "order-grid" },
    items.element,
    fulfilment.element,
    money.element,
    facts.element,
    actions.element,
    details.element,
    history.element,
    events.element,
  );
  show(main, h("p", {}, h("a", { href: "#/orders" }, "← All orders")), title, live, message, page);

  let shown: Order | undefined;
  let detailsEditor: ReturnType<typeof detailsForm> | undefined;
  const state: OrderState = {
    get order() {
      return shown!;
    },
  };
  const work = fulfilmentSection(orderId, () => state.order, signal);
  show(fulfilment.body, work.element);
  let panel: ReturnType<typeof moneyPanel> | undefined;
  const itemsTableSlot = h("div", {});
  const itemsMessage = h("div", { class: "message-slot", "aria-live": "polite" });
  const sideData = async () => {
    try {
      const [status, log] = await Promise.all([
        orders.getOrderStatus({ orderId }, { signal }),
        orders.listOrderEvents({ orderId }, { signal }),
        work.reload(),
        panel?.reload(),
      ]);
      show(history.body, historyTable(status));
      show(events.body, eventsSection(orderId, log));
    } catch (error) {
      if (!signal.aborted) show(message, problemBox(problemOf(error), "Part of the order could not be read"));
    }
  };
  const render: Changed = (order) => {
    if (shown && order.version <= shown.version) return;
    const first = !shown;
    shown = order;
    title.textContent = `Order ${order.orderNumber}`;
    document.title = `${order.orderNumber} · Orders console`;
    show(itemsTableSlot, itemsTable(state, render, itemsMessage));
    show(facts.body, summary(order));
    if (first) {
      panel = moneyPanel(state, render, signal);
      show(money.body, panel.element);
      show(items.body, itemsTableSlot, itemsMessage, addItemForm(state, render));
      show(actions.body, statusActions(state, render), order.guest ? guestLinksForm(orderId) : null);
      detailsEditor = detailsForm(state, render);
      show(details.body, detailsEditor.element);
      void sideData().then(() => show(page, grid));
    } else {
      detailsEditor?.follow(order);
      void sideData();
    }
  };
  void follow(orderId, signal, render, live, message);
}

/** The order now and after every change, from WatchOrder; resumes from the last version if the stream ends early. */
async function follow(orderId: string, signal: AbortSignal, render: Changed, live: HTMLElement, message: HTMLElement): Promise<void> {
  let version: bigint | undefined;
  let status: OrderStatus | undefined;
  while (!signal.aborted) {
    try {
      for await (const update of orders.watchOrder({ orderId, fromVersion: version }, { signal })) {
        if (!update.order) continue;
        version = update.order.version;
        status = update.order.status;
        live.textContent = `Live: following changes (version ${version}${update.eventType ? `, last ${update.eventType.replace("shop.order.v1.", "")}` : ""}).`;
        render(update.order);
      }
      if (status !== undefined && SETTLED.includes(status)) {
        live.textContent = `This order is ${orderStatus(status).toLowerCase()}: no further changes are expected.`;
        return;
      }
    } catch (error) {
      if (signal.aborted) return;
      const problem = problemOf(error);
      if (problem.code === Code.NotFound || problem.code === Code.PermissionDenied) {
        live.textContent = "";
        show(message, problemBox(problem, "This order cannot be shown"));
        return;
      }
      live.textContent = "Live updates paused; reconnecting…";
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}
