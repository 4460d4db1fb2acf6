import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { OrderStatus, type ListOrdersResponse, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { orders, problemOf } from "./api.js";
import { field, h, show, table } from "./dom.js";
import { problemBox } from "./feedback.js";
import { money, ORDER_STATUSES, orderStatus, paymentStatus, time } from "./format.js";

const PAGE_SIZE = 20;
const POLL_MS = 4_000;
/** The filters of the list, as the address bar keeps them. */
const FILTERS = ["status", "email", "user", "seller", "number", "from", "to"] as const;
type Filters = Partial<Record<(typeof FILTERS)[number] | "page", string>>;

/** Tokens of the pages before this one, so "Newer" can go back; keyset tokens only go forward. */
const previousPages: string[] = [];

function requestOf(filters: Filters) {
  const status = filters.status ? OrderStatus[filters.status as keyof typeof OrderStatus] : undefined;
  // Whole UTC days: "to" includes its day.
  const day = (value: string | undefined, end: boolean) =>
    value ? timestampFromDate(new Date(Date.parse(`${value}T00:00:00Z`) + (end ? 86_400_000 : 0))) : undefined;
  return {
    pageSize: PAGE_SIZE,
    pageToken: filters.page ?? "",
    statuses: status ? [status] : [],
    customerEmail: filters.email ?? "",
    userId: filters.user ?? "",
    sellerId: filters.seller ?? "",
    orderNumber: filters.number ?? "",
    createdAfter: day(filters.from, false),
    createdBefore: day(filters.to, true),
    includeTotalSize: true,
    includeStatusCounts: true,
  };
}

const link = (filters: Filters) =>
  `#/orders?${new URLSearchParams(Object.entries(filters).filter((entry): entry is [string, string] => Boolean(entry[1])))}`;

function row(order: Order, fresh: boolean): HTMLTableRowElement {
  return h(
    "tr",
    { class: fresh ? "fresh" : "" },
    h(
      "th",
      { scope: "row" },
      h("a", { href: `#/orders/${order.id}` }, order.orderNumber),
      fresh ? h("span", { class: "badge new" }, "new") : null,
    ),
    h("td", {}, time(order.createTime)),
    h(
      "td",
      {},
      h("div", {}, `${order.customer?.firstName ?? ""} ${order.customer?.lastName ?? ""}`),
      h("div", { class: "muted small" }, order.customer?.email ?? ""),
    ),
    h("td", {}, h("span", { class: `status s-${OrderStatus[order.status]}` }, orderStatus(order.status))),
    h("td", {}, paymentStatus(order.payment?.status)),
    h(
      "td",
      { class: "num" },
      order.items.reduce((n, item) => n + item.quantity, 0),
    ),
    h("td", { class: "num" }, money(order.total)),
  );
}

function filterForm(filters: Filters): HTMLFormElement {
  const input = (name: string, type = "text", placeholder = "") =>
    h("input", { name, type, value: filters[name as keyof Filters] ?? "", placeholder, autocomplete: "off" });
  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "Any status"),
    ...ORDER_STATUSES.map((s) => h("option", { value: OrderStatus[s], selected: filters.status === OrderStatus[s] }, orderStatus(s))),
  );
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Find orders" },
    field("Order number", input("number", "text", "ORD-2026-000123")),
    field("Customer email", input("email", "email")),
    field("User", input("user")),
    field("Seller", input("seller")),
    field("Status", status),
    field("Placed from", input("from", "date")),
    field("Placed to", input("to", "date")),
    h(
      "div",
      { class: "filter-actions" },
      h("button", { type: "submit" }, "Search"),
      h("a", { href: "#/orders", class: "button secondary" }, "Clear"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    previousPages.length = 0;
    const data = new FormData(form);
    location.hash = link(Object.fromEntries(FILTERS.map((name) => [name, (data.get(name) as string | null)?.trim() ?? ""])));
  });
  return form;
}

function counts(response: ListOrdersResponse, filters: Filters): HTMLElement {
  const byStatus = new Map(response.statusCounts.map((c) => [c.status, c.count]));
  const all = [...byStatus.values()].reduce((a, b) => a + b, 0n);
  const chip = (label: string, count: bigint, status: string) =>
    h(
      "a",
      {
        class: `chip${(filters.status ?? "") === status ? " current" : ""}`,
        href: link({ ...filters, status, page: "" }),
        "aria-current": (filters.status ?? "") === status ? "page" : undefined,
      },
      `${label} `,
      h("b", {}, String(count)),
    );
  return h(
    "nav",
    { class: "chips", "aria-label": "Orders by status" },
    chip("All", all, ""),
    ...ORDER_STATUSES.map((s) => chip(orderStatus(s), byStatus.get(s) ?? 0n, OrderStatus[s])),
    h("a", { class: "chip", href: "#/returns" }, "Return requests"),
  );
}

/** The orders list: filters, counts per status, a page of orders; the first page takes new orders as they arrive. */
export function ordersPage(main: HTMLElement, query: URLSearchParams, signal: AbortSignal): void {
  const filters = Object.fromEntries([...FILTERS, "page"].map((name) => [name, query.get(name) ?? ""])) as Filters;
  const chips = h("div", { class: "chips-slot" });
  const placeholders = Array.from({ length: 5 }, () => h("tr", { class: "placeholder" }, h("td", { colspan: 7 }, "\u00a0")));
  const box = table("Orders, newest first", ["Order", "Placed", "Customer", "Status", "Payment", "Items", "Total"], placeholders, {
    class: "orders",
  });
  const body = box.querySelector("tbody")!;
  const summary = h("p", { class: "summary", "aria-live": "polite" }, "Loading orders…");
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const message = h("div", { class: "message-slot" });
  show(main, h("h1", {}, "Orders"), filterForm(filters), chips, message, summary, box, pager);

  const shown = new Set<string>();
  const load = async (live: boolean) => {
    try {
      const response = await orders.listOrders(requestOf(filters), { signal });
      show(chips, counts(response, filters));
      show(message);
      const fresh = live ? response.orders.filter((o) => !shown.has(o.id)) : [];
      if (!live) show(body, ...response.orders.map((o) => row(o, false)));
      else if (fresh.length) body.prepend(...fresh.map((o) => row(o, true)));
      response.orders.forEach((o) => shown.add(o.id));
      const total = response.totalSize ?? 0n;
      show(
        summary,
        response.orders.length
          ? `${total} order${total === 1n ? "" : "s"} match.${fresh.length ? ` ${fresh.length} new since you opened this page.` : ""}`
          : "No orders match these filters.",
      );
      if (!live) show(pager, ...pagerLinks(filters, response.nextPageToken));
    } catch (error) {
      if (!signal.aborted) show(message, problemBox(problemOf(error), "The orders could not be listed"));
    }
  };
  void load(false);
  if (!filters.page) {
    const timer = setInterval(() => void load(true), POLL_MS);
    signal.addEventListener("abort", () => clearInterval(timer));
  }
}

function pagerLinks(filters: Filters, next: string): HTMLElement[] {
  const links: HTMLElement[] = [];
  if (filters.page) {
    const before = previousPages.at(-1) ?? "";
    links.push(
      h("a", { class: "button secondary", href: link({ ...filters, page: before }), onclick: () => previousPages.pop() }, "← Newer"),
    );
  }
  if (next)
    links.push(
      h(
        "a",
        { class: "button secondary", href: link({ ...filters, page: next }), onclick: () => previousPages.push(filters.page ?? "") },
        "Older →",
      ),
    );
  return links;
}
