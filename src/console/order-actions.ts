import { create } from "@bufbuild/protobuf";
import { AddressSchema, ItemStatus, OrderStatus, type Order, type OrderItem } from "../../gen/shop/order/v1/order_pb.js";
import { orders } from "./api.js";
import { field, h } from "./dom.js";
import { act, confirmAction } from "./feedback.js";
import { ITEM_MOVES, itemStatus, ORDER_STATUSES, orderStatus } from "./format.js";

/** Each action answers the order after the change; the page draws it (and WatchOrder confirms it). */
export type Changed = (order: Order) => void;

/**
 * The order as the page shows it now. Forms are built once and read it when submitted, so their
 * messages stay put while the order changes, and each change names the version it was made on.
 */
export interface OrderState {
  readonly order: Order;
}

const rid = () => crypto.randomUUID();
const input = (name: string, value = "", props: Record<string, unknown> = {}) => h("input", { name, value, autocomplete: "off", ...props });

function form(title: string, ...children: (Node | null)[]): { form: HTMLFormElement; message: HTMLElement } {
  const message = h("div", { class: "message-slot" });
  const element = h("form", { class: "action", "aria-label": title }, h("h3", {}, title), ...children, message);
  return { form: element, message };
}

/** Change status (a tracking number and carrier for SHIPPED), cancel, refund: each with its confirmation. */
export function statusActions(state: OrderState, changed: Changed): HTMLElement {
  const { order } = state;
  // No status is preselected: the order's own would go stale as it moves, and sending it is never a move.
  const next = h(
    "select",
    { name: "status", required: true },
    h("option", { value: "", disabled: true, selected: true }, "Choose a status"),
    ...ORDER_STATUSES.map((s) => h("option", { value: String(s) }, orderStatus(s))),
  );
  const shipsNow = () => next.value === String(OrderStatus.SHIPPED);
  const tracking = input("tracking", order.trackingNumber);
  const carrier = input("carrier", order.carrier);
  const shipping = h(
    "div",
    { class: "shipping-fields", hidden: !shipsNow() },
    field("Tracking number", tracking),
    field("Carrier", carrier),
  );
  next.addEventListener("change", () => (shipping.hidden = !shipsNow()));
  const reason = input("reason");
  const move = form(
    "Change status",
    field("New status", next),
    shipping,
    field("Reason (kept in the history)", reason),
    h("button", { type: "submit" }, "Change status"),
  );
  move.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const status = Number(next.value) as OrderStatus;
    const request = {
      requestId: rid(),
      orderId: order.id,
      expectedVersion: state.order.version,
      status,
      reason: reason.value,
      trackingNumber: tracking.value,
      carrier: carrier.value,
    };
    void act(
      move.message,
      `Moved to ${orderStatus(status)}.`,
      async () => changed((await orders.updateOrderStatus(request)).order!),
      event.submitter as HTMLButtonElement,
    );
  });

  const closing = (title: string, button: string, warn: string, call: (reason: string) => Promise<{ order?: Order }>) => {
    const why = input("reason", "", { required: true });
    const part = form(
      title,
      field("Reason (required, shown to the customer)", why),
      h("button", { type: "submit", class: "danger" }, button),
    );
    part.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const submitter = event.submitter as HTMLButtonElement;
      void confirmAction(`${title} ${state.order.orderNumber}?`, warn, button).then(
        (yes) => yes && act(part.message, `${title}: done.`, async () => changed((await call(why.value)).order!), submitter),
      );
    });
    return part.form;
  };
  const cancel = closing(
    "Cancel order",
    "Cancel order",
    "The reservation is released and a captured payment is refunded. This cannot be undone.",
    (why) => orders.cancelOrder({ requestId: rid(), orderId: order.id, expectedVersion: state.order.version, reason: why }),
  );
  const refund = closing(
    "Refund order",
    "Refund order",
    "The captured payment is given back in full; goods not yet shipped return to stock. This cannot be undone.",
    (why) => orders.refundOrder({ requestId: rid(), orderId: order.id, expectedVersion: state.order.version, reason: why }),
  );
  return h("div", { class: "actions-grid" }, move.form, cancel, refund);
}

/** One item's controls: move its status, change its quantity, remove it; results go to the items' `message`, which outlives the table. */
export function itemControls(state: OrderState, item: OrderItem, changed: Changed, message: HTMLElement): HTMLElement {
  const label = `${item.name}${item.variantId ? ` (${item.sku})` : ""}`;
  const to = h(
    "select",
    { "aria-label": `New status of ${label}` },
    ...ITEM_MOVES.map((s) => h("option", { value: String(s) }, itemStatus(s))),
  );
  const quantity = input("quantity", String(item.quantity), {
    type: "number",
    min: 1,
    max: 999,
    "aria-label": `Quantity of ${label}`,
    class: "qty",
  });
  const base = () => ({ requestId: rid(), orderId: state.order.id, expectedVersion: state.order.version, itemId: item.id });
  const moveItem = h("button", { type: "button", "aria-label": `Apply status to ${label}` }, "Apply");
  moveItem.addEventListener("click", () => {
    const status = Number(to.value) as ItemStatus;
    void act(
      message,
      `${label}: ${itemStatus(status)}.`,
      async () => changed((await orders.updateOrderItemStatus({ ...base(), status })).order!),
      moveItem,
    );
  });
  const save = h("button", { type: "button", class: "secondary", "aria-label": `Save quantity of ${label}` }, "Save");
  save.addEventListener("click", () => {
    void act(
      message,
      `${label}: quantity ${quantity.value}.`,
      async () => changed((await orders.updateOrderItemQuantity({ ...base(), quantity: Number(quantity.value) })).order!),
      save,
    );
  });
  const remove = h("button", { type: "button", class: "secondary", "aria-label": `Remove ${label}` }, "Remove");
  remove.addEventListener("click", () => {
    void confirmAction(
      `Remove ${label}?`,
      "The line leaves the order, its stock is released and the totals are recomputed.",
      "Remove item",
    ).then((yes) => yes && act(message, `${label} removed.`, async () => changed((await orders.removeOrderItem(base())).order!), remove));
  });
  return h(
    "div",
    { class: "item-controls" },
    h("div", { class: "inline" }, to, moveItem),
    h("div", { class: "inline" }, quantity, save, remove),
  );
}

export function addItemForm(state: OrderState, changed: Changed): HTMLElement {
  const product = input("product", "", { required: true });
  const variant = input("variant");
  const quantity = input("quantity", "1", { type: "number", min: 1, max: 999 });
  const add = form(
    "Add an item",
    field("Product id", product),
    field("Variant id (products sold by variant)", variant),
    field("Quantity", quantity),
    h("button", { type: "submit" }, "Add item"),
  );
  add.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const item = { productId: product.value.trim(), variantId: variant.value.trim(), quantity: Number(quantity.value) };
    void act(
      add.message,
      `Added ${item.productId}.`,
      async () =>
        changed(
          (await orders.addOrderItem({ requestId: rid(), orderId: state.order.id, expectedVersion: state.order.version, item })).order!,
        ),
      event.submitter as HTMLButtonElement,
    );
  });
  return add.form;
}

const ADDRESS_FIELDS = {
  line1: "Address line 1",
  line2: "Address line 2",
  city: "City",
  state: "State",
  postalCode: "Postal code",
  countryCode: "Country code",
} as const;
type AddressField = keyof typeof ADDRESS_FIELDS;

/**
 * Address and notes. The fields follow the order while the operator has not typed in them; what
 * is saved is checked against the version they were filled from, so an edit made on stale data
 * is refused (ABORTED) instead of overwriting someone else's change. Only what changed is sent,
 * so a shipped order can still take notes.
 */
export function detailsForm(state: OrderState, changed: Changed): { element: HTMLElement; follow: (order: Order) => void } {
  const names = Object.keys(ADDRESS_FIELDS) as AddressField[];
  const inputs = Object.fromEntries(names.map((name) => [name, input(name)])) as Record<AddressField, HTMLInputElement>;
  const notes = h("textarea", { name: "notes", rows: 3 });
  const details = form(
    "Shipping address and notes",
    ...names.map((name) => field(ADDRESS_FIELDS[name], inputs[name])),
    field("Notes", notes),
    h("button", { type: "submit" }, "Save"),
  );
  let filledFrom = state.order;
  let editing = false;
  details.form.addEventListener("input", () => (editing = true));
  const follow = (order: Order) => {
    if (editing) return;
    filledFrom = order;
    const address = order.shippingAddress ?? create(AddressSchema);
    for (const name of names) inputs[name].value = address[name];
    notes.value = order.notes;
  };
  follow(state.order);
  details.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const stored = filledFrom.shippingAddress ?? create(AddressSchema);
    const next = Object.fromEntries(names.map((name) => [name, inputs[name].value.trim()])) as Record<AddressField, string>;
    const request = {
      requestId: rid(),
      orderId: filledFrom.id,
      expectedVersion: filledFrom.version,
      ...(names.some((name) => next[name] !== stored[name]) ? { shippingAddress: next } : {}),
      ...(notes.value !== filledFrom.notes ? { notes: notes.value } : {}),
    };
    void act(
      details.message,
      "Saved.",
      async () => {
        const saved = (await orders.updateOrder(request)).order!;
        editing = false;
        changed(saved);
      },
      event.submitter as HTMLButtonElement,
    );
  });
  return { element: details.form, follow };
}
