import { OrderChangeStatus, ReturnReason, type OrderChange } from "../../gen/shop/order/v1/changes_pb.js";
import { changes, problemOf } from "./api.js";
import { h, show, table } from "./dom.js";
import { problemBox } from "./feedback.js";
import { shortId, time, words as named } from "./format.js";

const words = (name: string | undefined) => named(name, "–");

/** Customers' return requests waiting for staff or a seller: the list's "Return requests" tab. */
export function returnRequestsPage(main: HTMLElement, signal: AbortSignal): void {
  const message = h("div", { class: "message-slot" });
  const slot = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  show(
    main,
    h(
      "nav",
      { class: "chips", "aria-label": "Orders by status" },
      h("a", { class: "chip", href: "#/orders" }, "All orders"),
      h("a", { class: "chip current", href: "#/returns", "aria-current": "page" }, "Return requests"),
    ),
    h("h1", {}, "Return requests"),
    message,
    slot,
  );
  const row = (change: OrderChange) =>
    h(
      "tr",
      {},
      h("td", {}, time(change.createTime)),
      h("td", {}, h("a", { href: `#/orders/${change.orderId}` }, `Order ${shortId(change.orderId)}`)),
      h(
        "td",
        {},
        change.actions
          .flatMap(({ action }) => {
            if (action.case === "returnItem")
              return [
                `${action.value.quantity} unit(s) of item ${shortId(action.value.itemId)} (${words(ReturnReason[action.value.reason])})`,
              ];
            if (action.case === "addItem") return [`for ${action.value.quantity} × ${action.value.name}`];
            return [];
          })
          .join("; "),
      ),
      h("td", {}, change.sellerIds.join(", ")),
      h("td", {}, change.note || "–"),
    );
  void (async () => {
    try {
      const { changes: waiting } = await changes.listOrderChanges({ statuses: [OrderChangeStatus.REQUESTED], pageSize: 100 }, { signal });
      show(
        slot,
        waiting.length
          ? table("Return requests, newest first", ["Asked", "Order", "Units", "Sellers", "Note"], waiting.map(row))
          : h("p", { class: "muted" }, "No return request is waiting."),
      );
    } catch (error) {
      if (!signal.aborted) show(message, problemBox(problemOf(error), "The return requests could not be listed"));
    }
  })();
}
