import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { money } from "../../src/money/money.js";
import { unitsRefund } from "../../src/money/refunds.js";
import type { PricingPolicy } from "../../src/money/totals.js";
import {
  MAX_ITEMS,
  MAX_LEDGER_ENTRIES,
  Order,
  type Effect,
  type NewItem,
  type NewOrder,
  type OrderView,
} from "../../src/orders/domain/order.js";
import {
  ALLOWED_IN,
  IllegalTransitionError,
  ORDER_STATUSES,
  ORDER_TRANSITIONS,
  StatusForbidsError,
  type OrderStatus,
} from "../../src/orders/domain/order-status.js";
import { DomainError, InvalidArgumentError } from "../../src/platform/errors/domain-errors.js";
import { caught, thrownReason } from "../support/errors.js";

const pricing: PricingPolicy = { currency: "USD", taxRateBps: 800, freeShippingThresholdMinor: 5000n, flatShippingMinor: 599n };
const at = new Date("2026-11-28T10:00:00Z");
const by = { actor: "staff-1", at };
const later = { actor: "staff-2", at: new Date("2026-11-28T11:00:00Z") };

const item = (n: number, quantity = 1, unitPriceMinor = 1000n): NewItem => ({
  id: `item-${n}`,
  productId: `prod-${n}`,
  sku: `SKU-${n}`,
  name: `Product ${n}`,
  imageUrl: "",
  quantity,
  unitPrice: money("USD", unitPriceMinor),
  sellerId: `seller-${n % 2}`,
  variantId: "",
  variantAttributes: {},
});

const newOrder = (items: NewItem[] = [item(1, 2), item(2)]): NewOrder => ({
  id: "order-1",
  orderNumber: "ORD-2026-000001",
  userId: "user-1",
  customer: { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace", phone: "" },
  shippingAddress: { line1: "1 Main St", line2: "", city: "Springfield", state: "IL", postalCode: "62701", countryCode: "US" },
  payment: { type: "CASH_ON_DELIVERY", display: "Cash on delivery" },
  currency: "USD",
  notes: "",
  estimatedDeliveryDate: "2026-12-03",
  items,
});

/** A placed order, stored, then read back in `status` with `changes` applied to its fields. */
function orderIn(status: OrderStatus, changes: Partial<OrderView> = {}, items?: NewItem[]): Order {
  const placed = Order.place(newOrder(items), pricing, by);
  placed.takeEvents();
  const view = placed.view;
  return Order.restore({ ...view, status, ...changes, items: changes.items ?? view.items });
}

const captured = {
  paymentStatus: "CAPTURED",
  paymentTransactionId: "tx-1",
  authorizedMinor: 3839n,
  capturedMinor: 3839n,
  ledgerEntries: 2,
  paymentTrail: {
    authorizations: [{ id: "auth-1", amountMinor: "3839", capturedMinor: "3839", voidedMinor: "0" }],
    captures: [{ id: "tx-1", authorizationId: "auth-1", amountMinor: "3839", refundedMinor: "0" }],
  },
} as const satisfies Partial<OrderView>;
/** Authorized only (CAPTURE_ON=shipment): parcels capture. */
const authorized = {
  paymentStatus: "AUTHORIZED",
  authorizedMinor: 3839n,
  ledgerEntries: 1,
  paymentTrail: { authorizations: [{ id: "auth-1", amountMinor: "3839", capturedMinor: "0", voidedMinor: "0" }], captures: [] },
} as const satisfies Partial<OrderView>;

describe("placing an order", () => {
  it("when an order is placed, then it is PENDING, priced by the policy, and says so once", () => {
    const order = Order.place(newOrder(), pricing, by);
    const view = order.view;
    expect(view).toMatchObject({
      status: "PENDING",
      paymentStatus: "PENDING",
      version: 1,
      subtotalMinor: 3000n,
      taxMinor: 240n,
      shippingMinor: 599n,
      totalMinor: 3839n,
    });
    expect(view.items.map((line) => [line.id, line.position, line.status, line.unitPriceMinor])).toEqual([
      ["item-1", 0, "PENDING", 1000n],
      ["item-2", 1, "PENDING", 1000n],
    ]);
    expect(view.reservationId).toBe("order-1");
    const taken = order.takeEvents();
    expect(taken.ledgerEntries).toEqual([]);
    expect(taken.events).toEqual([
      { type: "OrderCreated" },
      { type: "OrderItemCreated", itemId: "item-1" },
      { type: "OrderItemCreated", itemId: "item-2" },
    ]);
    expect(taken.statusChanges).toEqual([{ fromStatus: null, toStatus: "PENDING", changedAt: at, actor: "staff-1", reason: "placed" }]);
    expect(order.takeEvents()).toEqual({ events: [], statusChanges: [], removedItemIds: [], ledgerEntries: [] });
  });

  it("when the subtotal reaches the free shipping threshold, then shipping is free", () => {
    expect(Order.place(newOrder([item(1, 5)]), pricing, by).view.shippingMinor).toBe(0n);
  });
});

describe("nothing changes an order but its methods", () => {
  it("when code outside sets the status, then it throws and the order keeps its status", () => {
    const order = orderIn("PENDING");
    expect(() => Object.assign(order, { status: "SHIPPED" })).toThrow(TypeError);
    expect(order.status).toBe("PENDING");
  });

  it("when a reader edits the view, then the order does not change", () => {
    const order = orderIn("PENDING");
    const view = order.view as unknown as { status: string; items: { quantity: number }[] };
    view.status = "SHIPPED";
    view.items[0]!.quantity = 99;
    expect(order.view.status).toBe("PENDING");
    expect(order.view.items[0]!.quantity).toBe(2);
  });
});

/** The design's table, written out independently of ALLOWED_IN. */
const DESIGN: Record<Exclude<keyof typeof ALLOWED_IN, "hold stock">, string> = {
  "edit items": "PENDING CONFIRMED PAID",
  "change the shipping address": "PENDING CONFIRMED PAID PROCESSING",
  "change tracking": "PENDING CONFIRMED PAID PROCESSING SHIPPED DELIVERED",
  pay: "PENDING CONFIRMED PAID PROCESSING SHIPPED DELIVERED",
  "delete the order": "DELIVERED CANCELLED REFUNDED",
  "mark an item PROCESSING": "CONFIRMED PAID PROCESSING",
  "mark an item CANCELLED": "CONFIRMED PAID PROCESSING",
  "mark an item SHIPPED": "PROCESSING SHIPPED",
  "mark an item DELIVERED": "PROCESSING SHIPPED",
  "ship items": "CONFIRMED PAID PROCESSING SHIPPED DELIVERED",
  "take back items": "PROCESSING SHIPPED DELIVERED",
};

/** Every status against every guarded action: the aggregate refuses exactly what the design leaves out. */
describe("the guards read one table", () => {
  const attempts: Record<keyof typeof ALLOWED_IN, (order: Order) => unknown> = {
    "edit items": (order) => order.changeQuantity("item-1", 3, pricing),
    "change the shipping address": (order) =>
      order.update({ shippingAddress: { line1: "2 Elm St", line2: "", city: "X", state: "", postalCode: "1", countryCode: "US" } }),
    "change tracking": (order) => order.update({ carrier: "UPS" }),
    pay: (order) => order.checkPayable({ type: "CASH_ON_DELIVERY", display: "" }),
    "delete the order": (order) => order.delete("tidy", by),
    "mark an item PROCESSING": (order) => order.changeItemStatus("item-1", "PROCESSING", by),
    "mark an item CANCELLED": (order) => order.changeItemStatus("item-1", "CANCELLED", by),
    "mark an item SHIPPED": (order) => order.changeItemStatus("item-1", "SHIPPED", by),
    "mark an item DELIVERED": (order) => order.changeItemStatus("item-1", "DELIVERED", by),
    "ship items": (order) => order.checkShippable(),
    "take back items": (order) => order.checkReturnable([]),
    "hold stock": () => undefined,
  };
  const cases = Object.keys(attempts)
    .filter((action) => action !== "hold stock")
    .flatMap((action) => ORDER_STATUSES.map((status) => [action as keyof typeof ALLOWED_IN, status] as const));

  it.each(cases)("when an order may or may not %s in %s, then the table decides", (action, status) => {
    const allowed = DESIGN[action as keyof typeof DESIGN].split(" ").includes(status);
    let order = orderIn(status);
    if (action === "mark an item SHIPPED" || action === "mark an item DELIVERED") {
      // the item must be able to make the move itself, so only the order's status decides
      const from = action === "mark an item SHIPPED" ? "PROCESSING" : "SHIPPED";
      order = Order.restore({ ...order.view, items: order.view.items.map((line) => ({ ...line, status: from })) });
    }
    const reason = (() => {
      try {
        attempts[action](order);
        return undefined;
      } catch (error) {
        if (error instanceof StatusForbidsError) return "forbidden";
        if (action === "pay" && error instanceof DomainError && error.reason === "ORDER_CLOSED") return "forbidden";
        return "other";
      }
    })();
    expect(reason === "forbidden").toBe(!allowed);
  });

  it("when a forbidden action is tried, then the error names the action, the status and where it is allowed", () => {
    const error = (() => {
      try {
        orderIn("SHIPPED").removeItem("item-1", pricing);
      } catch (caught) {
        return caught as StatusForbidsError;
      }
    })();
    expect(error?.reason).toBe("ORDER_STATUS_FORBIDS");
    expect(error?.message).toBe("cannot edit items while the order is SHIPPED; allowed in PENDING, CONFIRMED, PAID");
  });
});

describe("moves through the transition table", () => {
  const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));
  const move = (order: Order, to: OrderStatus) => {
    switch (to) {
      case "SHIPPED":
        return order.ship({ trackingNumber: "1Z999", carrier: "UPS" }, "", by);
      case "DELIVERED":
        return order.deliver("", by);
      case "CANCELLED":
        return order.cancel("changed my mind", by);
      case "REFUNDED":
        return order.refund("damaged", by);
      default:
        return order.advance(to as "PENDING" | "CONFIRMED" | "PROCESSING", "", by);
    }
  };

  it.each(ORDER_STATUSES)("when the payment of an order in %s is captured, then it becomes PAID exactly when the table allows", (from) => {
    const order = orderIn(from);
    const pay = () => order.paymentAuthorized({ type: "CASH_ON_DELIVERY", display: "" }, capturedAs(order, "tx-2"), by);
    if (from === "CANCELLED" || from === "REFUNDED") return expect(thrownReason(pay)).toBe("ORDER_CLOSED");
    pay();
    expect(order.status).toBe(ORDER_TRANSITIONS[from].includes("PAID") ? "PAID" : from);
  });

  it.each(pairs.filter(([, to]) => to !== "PAID"))(
    "when an order in %s is moved to %s, then it moves exactly when the table allows",
    (from, to) => {
      const order = orderIn(from, to === "REFUNDED" ? captured : {});
      const legal = ORDER_TRANSITIONS[from].includes(to);
      if (legal) {
        move(order, to);
        expect(order.status).toBe(to);
        const { statusChanges, events } = order.takeEvents();
        expect(statusChanges).toEqual([{ fromStatus: from, toStatus: to, changedAt: at, actor: "staff-1", reason: expect.any(String) }]);
        expect(events).toContainEqual(expect.objectContaining({ type: "OrderStatusChanged", from, to }));
      } else {
        const before = order.view;
        expect(() => move(order, to)).toThrow(IllegalTransitionError);
        expect(order.view).toEqual(before);
      }
    },
  );
});

describe("effects the order asks for", () => {
  it("when an unpaid order is cancelled, then its stock is released and nothing refunded", () => {
    const order = orderIn("CONFIRMED");
    expect(order.cancel("changed my mind", by)).toEqual([{ kind: "release stock", reservationId: "order-1" }]);
    expect(order.view).toMatchObject({ status: "CANCELLED", cancelReason: "changed my mind", paymentStatus: "PENDING" });
    expect(order.view.items.map((line) => line.status)).toEqual(["CANCELLED", "CANCELLED"]);
    expect(order.takeEvents().events).toEqual([
      { type: "OrderStatusChanged", from: "CONFIRMED", to: "CANCELLED", reason: "changed my mind" },
      { type: "OrderItemStatusChanged", itemId: "item-1", from: "PENDING", to: "CANCELLED" },
      { type: "OrderItemStatusChanged", itemId: "item-2", from: "PENDING", to: "CANCELLED" },
      { type: "OrderCancelled", reason: "changed my mind", refunded: false },
    ]);
  });

  it("when a paid order is cancelled, then the captured total is refunded first, then the stock released", () => {
    const order = orderIn("PAID", captured);
    expect(order.cancel("late", later)).toEqual([
      {
        kind: "refund payment",
        orderId: "order-1",
        transactionId: "tx-1",
        amount: money("USD", 3839n),
        idempotencyKey: "refund:order-1",
        entryId: expect.any(String),
      },
      { kind: "release stock", reservationId: "order-1" },
    ]);
    expect(order.view).toMatchObject({ paymentStatus: "REFUNDED", paymentUpdatedAt: later.at });
    expect(order.takeEvents().events.at(-1)).toEqual({ type: "OrderCancelled", reason: "late", refunded: true });
  });

  it("when a shipped order is refunded, then the money goes back and no stock is released (it left the warehouse)", () => {
    const order = orderIn("SHIPPED", captured);
    expect(order.refund("damaged", by)).toMatchObject([
      { kind: "refund payment", orderId: "order-1", transactionId: "tx-1", amount: money("USD", 3839n), idempotencyKey: "refund:order-1" },
    ]);
    expect(order.takeEvents().events.at(-1)).toEqual({ type: "OrderRefunded", reason: "damaged", amount: money("USD", 3839n) });
  });

  it("when a processing order is refunded, then the money goes back, the stock is released and open items are cancelled", () => {
    const order = orderIn("PROCESSING", captured);
    expect(order.refund("damaged", by).map((effect) => effect.kind)).toEqual(["refund payment", "release stock"]);
    expect(order.view.items.map((line) => line.status)).toEqual(["CANCELLED", "CANCELLED"]);
  });

  it("when an order with nothing captured is refunded, then NOTHING_TO_REFUND", () => {
    expect(thrownReason(() => orderIn("PAID").refund("why", by))).toBe("NOTHING_TO_REFUND");
  });

  it("when an order ships, then its open items ship and the tracking is kept (the parcel carrying them commits their stock)", () => {
    const order = orderIn("PROCESSING", { carrier: "DHL" });
    order.ship({ trackingNumber: "1Z999", carrier: "" }, "", by);
    expect(order.view).toMatchObject({ status: "SHIPPED", trackingNumber: "1Z999", carrier: "DHL" });
    expect(order.view.items.map((line) => line.status)).toEqual(["SHIPPED", "SHIPPED"]);
    expect(order.takeEvents().events.at(-1)).toEqual({ type: "OrderShipped", trackingNumber: "1Z999", carrier: "DHL" });
  });

  it("when an order with no tracking number ships without one, then INVALID_ARGUMENT names tracking_number", () => {
    const order = orderIn("PROCESSING");
    expect(() => order.ship({ trackingNumber: "", carrier: "" }, "", by)).toThrow(/tracking/);
    expect(order.status).toBe("PROCESSING");
    const earlier = orderIn("PROCESSING", { trackingNumber: "EARLIER" });
    earlier.ship({ trackingNumber: "", carrier: "UPS" }, "", by);
    expect([earlier.status, earlier.view.trackingNumber]).toEqual(["SHIPPED", "EARLIER"]);
  });

  it("when an order is delivered, then its shipped items are delivered and, with every item final, it completes", () => {
    const shipped = orderIn("SHIPPED");
    const order = Order.restore({
      ...shipped.view,
      items: shipped.view.items.map((line, n) => ({ ...line, status: n ? "SHIPPED" : "CANCELLED" })),
    });
    order.deliver("", by);
    expect(order.view.items.map((line) => line.status)).toEqual(["CANCELLED", "DELIVERED"]);
    expect(order.takeEvents().events.map((event) => event.type)).toEqual([
      "OrderStatusChanged",
      "OrderItemStatusChanged",
      "OrderDelivered",
      "OrderCompleted",
    ]);
  });

  it("when an order is delivered with an item still open, then it does not complete", () => {
    const order = orderIn("SHIPPED");
    order.deliver("", by);
    expect(order.takeEvents().events.map((event) => event.type)).toEqual(["OrderStatusChanged", "OrderDelivered"]);
  });

  it("when an order moves to PROCESSING, then its pending items do too", () => {
    const order = orderIn("CONFIRMED");
    order.advance("PROCESSING", "", by);
    expect(order.view.items.map((line) => line.status)).toEqual(["PROCESSING", "PROCESSING"]);
  });
});

describe("items", () => {
  it("when an item is added, then it gets the next position, totals are recomputed and the reservation follows", () => {
    const order = orderIn("PENDING");
    const effects = order.addItem(item(3, 1, 500n), pricing);
    expect(order.view.items.at(-1)).toMatchObject({ id: "item-3", position: 2, status: "PENDING", unitPriceMinor: 500n });
    expect(order.view).toMatchObject({ subtotalMinor: 3500n, taxMinor: 280n, totalMinor: 4379n });
    expect(effects).toEqual([
      {
        kind: "adjust stock",
        reservationId: "order-1",
        lines: [
          { productId: "prod-1", variantId: "", quantity: 2 },
          { productId: "prod-2", variantId: "", quantity: 1 },
          { productId: "prod-3", variantId: "", quantity: 1 },
        ],
        previous: [
          { productId: "prod-1", variantId: "", quantity: 2 },
          { productId: "prod-2", variantId: "", quantity: 1 },
        ],
      },
    ]);
    expect(order.takeEvents().events).toEqual([
      { type: "OrderItemCreated", itemId: "item-3" },
      { type: "OrderItemsChanged", totals: expect.objectContaining({ total: money("USD", 4379n) }) },
    ]);
  });

  it("when a product already in the order is added, then ITEM_ALREADY_IN_ORDER", () => {
    expect(thrownReason(() => orderIn("PENDING").checkCanAddItem({ productId: "prod-1", variantId: "" }))).toBe("ITEM_ALREADY_IN_ORDER");
  });

  it(`when an order already holds ${MAX_ITEMS} items, then another is TOO_MANY_ITEMS`, () => {
    const full = orderIn(
      "PENDING",
      {},
      Array.from({ length: MAX_ITEMS }, (_, n) => item(n)),
    );
    expect(thrownReason(() => full.addItem(item(MAX_ITEMS), pricing))).toBe("TOO_MANY_ITEMS");
    const almost = orderIn(
      "PENDING",
      {},
      Array.from({ length: MAX_ITEMS - 1 }, (_, n) => item(n)),
    );
    expect(() => almost.addItem(item(MAX_ITEMS), pricing)).not.toThrow();
  });

  it("when a quantity is set to what it is, then nothing happens", () => {
    const order = orderIn("PENDING");
    expect(order.changeQuantity("item-1", 2, pricing)).toEqual([]);
    expect(order.takeEvents().events).toEqual([]);
  });

  it("when a quantity changes, then totals follow", () => {
    const order = orderIn("CONFIRMED");
    order.changeQuantity("item-2", 4, pricing);
    expect(order.view.subtotalMinor).toBe(6000n);
    expect(order.view.shippingMinor).toBe(0n);
  });

  it("when an item is removed, then the repository is told its id, and the last item cannot be removed", () => {
    const order = orderIn("PENDING");
    order.removeItem("item-2", pricing);
    expect(order.view.items.map((line) => line.id)).toEqual(["item-1"]);
    expect(order.takeEvents().removedItemIds).toEqual(["item-2"]);
    expect(thrownReason(() => order.removeItem("item-1", pricing))).toBe("LAST_ITEM");
  });

  it("when an unknown item is named, then NOT_FOUND", () => {
    expect(thrownReason(() => orderIn("PENDING").changeQuantity("nope", 1, pricing))).toBe("ORDER_ITEM_NOT_FOUND");
    expect(thrownReason(() => orderIn("PAID").changeItemStatus("nope", "PROCESSING", by))).toBe("ORDER_ITEM_NOT_FOUND");
  });
});

describe("item fulfilment", () => {
  it("when one item is cancelled, then the order asks for nothing itself: its fulfilment orders give the item's units back", () => {
    const order = orderIn("PAID");
    expect(order.changeItemStatus("item-1", "CANCELLED", by)).toEqual([]);
    expect(order.takeEvents().events).toEqual([{ type: "OrderItemStatusChanged", itemId: "item-1", from: "PENDING", to: "CANCELLED" }]);
  });

  it("when the last open item is cancelled, then the order is cancelled and its stock released", () => {
    const order = orderIn("PAID", captured);
    order.changeItemStatus("item-1", "CANCELLED", by);
    expect(order.changeItemStatus("item-2", "CANCELLED", by).map((effect) => effect.kind)).toEqual(["refund payment", "release stock"]);
    expect(order.view).toMatchObject({ status: "CANCELLED", cancelReason: "every item was cancelled" });
  });

  it("when the last item of a shipped order is delivered, then the order is delivered and completed", () => {
    const shipped = orderIn("SHIPPED");
    const order = Order.restore({ ...shipped.view, items: shipped.view.items.map((line) => ({ ...line, status: "SHIPPED" as const })) });
    expect(order.changeItemStatus("item-1", "DELIVERED", by)).toEqual([]);
    expect(order.status).toBe("SHIPPED");
    order.changeItemStatus("item-2", "DELIVERED", by);
    expect(order.status).toBe("DELIVERED");
    expect(order.takeEvents().events.map((event) => event.type)).toContain("OrderCompleted");
  });

  it("when an item makes an illegal move, then ILLEGAL_ITEM_TRANSITION", () => {
    expect(thrownReason(() => orderIn("CONFIRMED").changeItemStatus("item-1", "DELIVERED", by))).toBe("ORDER_STATUS_FORBIDS");
    expect(thrownReason(() => orderIn("PROCESSING").changeItemStatus("item-1", "DELIVERED", by))).toBe("ILLEGAL_ITEM_TRANSITION");
    expect(thrownReason(() => orderIn("PROCESSING").changeItemStatus("item-1", "SHIPPED", by))).toBe("ILLEGAL_ITEM_TRANSITION");
  });
});

describe("items fulfilled by their sellers", () => {
  // item-1 is seller-1's, item-2 seller-0's.
  it("when a seller moves another seller's item, then it is not found and nothing moves", () => {
    const order = orderIn("CONFIRMED");
    expect(thrownReason(() => order.changeItemStatus("item-2", "PROCESSING", by, "seller-1"))).toBe("ORDER_ITEM_NOT_FOUND");
    expect(order.view.items.map((line) => line.status)).toEqual(["PENDING", "PENDING"]);
    expect(order.takeEvents().events).toEqual([]);
  });

  it("when the first item starts moving, then a confirmed order is PROCESSING; the other seller's item stays PENDING", () => {
    const order = orderIn("CONFIRMED");
    order.changeItemStatus("item-1", "PROCESSING", by, "seller-1");
    expect(order.status).toBe("PROCESSING");
    expect(order.view.items.map((line) => line.status)).toEqual(["PROCESSING", "PENDING"]);
  });

  it("when the items left are shipped and the rest cancelled, then the order is SHIPPED by its items", () => {
    const order = orderIn("PAID");
    order.changeItemStatus("item-2", "CANCELLED", by, "seller-0");
    order.changeItemStatus("item-1", "PROCESSING", by, "seller-1");
    expect(order.changeItemStatus("item-1", "SHIPPED", by, "seller-1")).toEqual([]);
    expect(order.status).toBe("SHIPPED");
    const { events, statusChanges } = order.takeEvents();
    expect(statusChanges.map((change) => [change.toStatus, change.reason])).toEqual([
      ["PROCESSING", "fulfilment started"],
      ["SHIPPED", "every item was shipped"],
    ]);
    expect(events.at(-1)).toEqual({ type: "OrderShipped", trackingNumber: "", carrier: "" });
  });

  it("when one seller has delivered and the other has not shipped, then the order is open; when both are final, it completes", () => {
    const order = orderIn("CONFIRMED");
    for (const to of ["PROCESSING", "SHIPPED", "DELIVERED"] as const) order.changeItemStatus("item-1", to, by, "seller-1");
    expect(order.status).toBe("PROCESSING");
    order.changeItemStatus("item-2", "PROCESSING", by, "seller-0");
    order.changeItemStatus("item-2", "SHIPPED", by, "seller-0");
    expect(order.status).toBe("SHIPPED");
    expect(order.takeEvents().events.map((event) => event.type)).not.toContain("OrderCompleted");
    order.changeItemStatus("item-2", "DELIVERED", by, "seller-0");
    expect(order.status).toBe("DELIVERED");
    expect(
      order
        .takeEvents()
        .events.map((event) => event.type)
        .slice(-2),
    ).toEqual(["OrderDelivered", "OrderCompleted"]);
  });
});

describe("the order follows its shipments", () => {
  // item-1: 2 units (seller-1), item-2: 1 unit (seller-0).
  const progress = (entries: [string, number, number][]) =>
    new Map(entries.map(([id, shipped, delivered]) => [id, { shipped, delivered }]));
  const parcel = { trackingNumber: "1Z-PARCEL", carrier: "UPS" };

  it("when nothing is handed over, then nothing moves and the quantities stay zero", () => {
    const order = orderIn("CONFIRMED");
    order.followFulfilment(progress([]), undefined, by);
    expect([order.status, order.partiallyShipped, order.takeEvents().events]).toEqual(["CONFIRMED", false, []]);
  });

  it("when 1 of 2 units is handed over, then a confirmed order is PROCESSING and partly shipped; its items have not shipped", () => {
    const order = orderIn("CONFIRMED");
    order.followFulfilment(progress([["item-1", 1, 0]]), parcel, by);
    expect([order.status, order.partiallyShipped]).toEqual(["PROCESSING", true]);
    expect(order.view.items.map((line) => [line.status, line.shippedQuantity])).toEqual([
      ["PROCESSING", 1],
      ["PROCESSING", 0],
    ]);
  });

  it("when every unit is handed over, then the items and the order are SHIPPED with the last parcel's tracking; all delivered, DELIVERED", () => {
    const order = orderIn("PAID");
    order.followFulfilment(
      progress([
        ["item-1", 2, 0],
        ["item-2", 1, 0],
      ]),
      parcel,
      by,
    );
    expect([order.status, order.partiallyShipped, order.view.trackingNumber]).toEqual(["SHIPPED", false, "1Z-PARCEL"]);
    expect(order.view.items.map((line) => line.status)).toEqual(["SHIPPED", "SHIPPED"]);
    order.followFulfilment(
      progress([
        ["item-1", 2, 2],
        ["item-2", 1, 0],
      ]),
      parcel,
      later,
    );
    expect([order.status, order.view.items.map((line) => line.status)]).toEqual(["SHIPPED", ["DELIVERED", "SHIPPED"]]);
    order.followFulfilment(
      progress([
        ["item-1", 2, 2],
        ["item-2", 1, 1],
      ]),
      parcel,
      later,
    );
    expect(order.status).toBe("DELIVERED");
    expect(
      order
        .takeEvents()
        .events.map((event) => event.type)
        .slice(-2),
    ).toEqual(["OrderDelivered", "OrderCompleted"]);
  });

  it("when the order has its own tracking, then shipping by parcels keeps it", () => {
    const order = orderIn("PROCESSING", { trackingNumber: "OWN-1", carrier: "DHL" });
    order.followFulfilment(
      progress([
        ["item-1", 2, 0],
        ["item-2", 1, 0],
      ]),
      parcel,
      by,
    );
    expect([order.view.trackingNumber, order.view.carrier]).toEqual(["OWN-1", "DHL"]);
  });

  it("when parcels may leave: CONFIRMED, PAID and PROCESSING orders, and SHIPPED or DELIVERED ones (an exchange's new items)", () => {
    for (const status of ORDER_STATUSES) {
      const allowed = ["CONFIRMED", "PAID", "PROCESSING", "SHIPPED", "DELIVERED"].includes(status);
      expect(thrownReason(() => orderIn(status).checkShippable())).toBe(allowed ? undefined : "ORDER_STATUS_FORBIDS");
    }
  });
});

/** What the Payment service answered for a capture of the order's total. */
function capturedAs(order: Order, transactionId: string) {
  return {
    authorizationId: `auth-${transactionId}`,
    authorizeKey: "pay:k",
    capture: { transactionId, captureKey: "capture:pay:k" },
    amount: order.amountDue,
  };
}

describe("payment", () => {
  const cod = { type: "CASH_ON_DELIVERY", display: "Cash on delivery" } as const;

  it("when a pending order's payment is captured, then it is PAID and says how much", () => {
    const order = orderIn("PENDING");
    order.paymentAuthorized({ type: "CARD", display: "Visa •••• 4242", token: "tok" }, capturedAs(order, "tx-9"), later);
    expect(order.view).toMatchObject({
      status: "PAID",
      paymentStatus: "CAPTURED",
      paymentTransactionId: "tx-9",
      paymentMethod: "CARD",
      paymentDisplay: "Visa •••• 4242",
      paymentUpdatedAt: later.at,
      paymentFailureReason: "",
    });
    expect(order.takeEvents().events.at(-1)).toEqual({ type: "OrderPaid", amount: money("USD", 3839n) });
  });

  it("when an order already past PAID is paid (cash on delivery, say), then the payment is captured and the status stays", () => {
    const order = orderIn("SHIPPED");
    order.paymentAuthorized(cod, capturedAs(order, "tx-9"), by);
    expect(order.view).toMatchObject({ status: "SHIPPED", paymentStatus: "CAPTURED" });
  });

  it("when a payment is declined, then the attempt is kept with its code", () => {
    const order = orderIn("PENDING");
    order.paymentDeclined(cod, "insufficient_funds", { idempotencyKey: "pay:1", amount: order.total }, by);
    expect(order.view).toMatchObject({ status: "PENDING", paymentStatus: "FAILED", paymentFailureReason: "insufficient_funds" });
    expect(order.takeEvents().events).toEqual([{ type: "OrderPaymentFailed", declineCode: "insufficient_funds" }]);
    expect(() => order.checkPayable(cod)).not.toThrow();
  });

  const refunded = { ...captured, paymentStatus: "REFUNDED", refundedMinor: 3839n, creditedMinor: 3839n } as const;
  it.each([
    ["CAPTURED", captured],
    ["AUTHORIZED", authorized],
    ["REFUNDED", refunded],
  ] as const)("when the payment is already %s, then ALREADY_PAID", (_, state) => {
    expect(thrownReason(() => orderIn("PENDING", state).checkPayable(cod))).toBe("ALREADY_PAID");
  });

  it("when a card is to be paid without a token, then INVALID_ARGUMENT, whether stored or given", () => {
    expect(() => orderIn("PENDING", { paymentMethod: "CARD" }).paymentMethod(undefined)).toThrow(DomainError);
    expect(() => orderIn("PENDING").checkPayable({ type: "CARD", display: "" })).toThrow(/payment_token|validation/);
    expect(orderIn("PENDING").paymentMethod(undefined)).toEqual({ type: "CASH_ON_DELIVERY", display: "Cash on delivery" });
  });
});

describe("details and deletion", () => {
  it("when details are updated, then only fields whose value differs are named", () => {
    const order = orderIn("PENDING", { notes: "ring twice" });
    order.update({ notes: "ring twice", carrier: "UPS", trackingNumber: "" });
    expect(order.takeEvents().events).toEqual([{ type: "OrderUpdated", changedFields: ["carrier"] }]);
    order.update({ notes: "ring twice" });
    expect(order.takeEvents().events).toEqual([]);
  });

  it("when the address changes, then shipping_address is named; the same address is not", () => {
    const order = orderIn("PAID");
    order.update({ shippingAddress: { ...order.view.shippingAddress } });
    expect(order.takeEvents().events).toEqual([]);
    order.update({ shippingAddress: { ...order.view.shippingAddress, city: "Shelbyville" } });
    expect(order.takeEvents().events).toEqual([{ type: "OrderUpdated", changedFields: ["shipping_address"] }]);
  });

  it.each(["SHIPPED", "DELIVERED"] as const)("when the tracking number of a %s order is cleared, then TRACKING_REQUIRED", (status) => {
    expect(thrownReason(() => orderIn(status, { trackingNumber: "1Z" }).update({ trackingNumber: "" }))).toBe("TRACKING_REQUIRED");
    expect(thrownReason(() => orderIn("PROCESSING", { trackingNumber: "1Z" }).update({ trackingNumber: "" }))).toBeUndefined();
  });

  it("when a closed order is deleted, then it is marked deleted and says why", () => {
    const order = orderIn("CANCELLED");
    order.delete("gdpr request", later);
    expect(order.view.deletedAt).toEqual(later.at);
    expect(order.takeEvents().events).toEqual([{ type: "OrderDeleted", reason: "gdpr request" }]);
  });

  it("when the repository stores a change, then the order takes its version and time", () => {
    const order = orderIn("PENDING");
    order.stored(7, later.at);
    expect(order.view).toMatchObject({ version: 7, updatedAt: later.at });
  });
});

describe("taking units back", () => {
  /** Both items shipped in full (2 of item-1 at 10.00, 1 of item-2 at 10.00), paid: 38.39. */
  const shipped = (overrides: Partial<OrderView> = {}) => {
    const order = orderIn("DELIVERED", captured);
    const view = order.view;
    return Order.restore({
      ...view,
      ...overrides,
      items: view.items.map((item) => ({ ...item, status: "DELIVERED", shippedQuantity: item.quantity })),
    });
  };
  const refund = { cause: "RETURN" as const, reason: "too small", idempotencyKey: "refund:order-1:c-1" };

  it("when more units come back than shipped less those taken back, then INVALID_ARGUMENT names the field given", () => {
    const order = shipped();
    const error = (() => {
      try {
        order.checkReturnable([{ itemId: "item-1", quantity: 3, field: "actions[0].return_item" }]);
      } catch (caught) {
        return caught as InvalidArgumentError;
      }
    })();
    expect(error?.violations).toEqual([
      { field: "actions[0].return_item.quantity", description: "at most 2 of this item can come back (2 shipped, 0 returned or claimed)" },
    ]);
    expect(() => order.checkReturnable([{ itemId: "nope", quantity: 1, field: "a" }])).toThrow(InvalidArgumentError);
    expect(() => order.checkReturnable([{ itemId: "item-1", quantity: 2, field: "a" }])).not.toThrow();
    order.takeBack([{ itemId: "item-1", quantity: 2 }]);
    expect(order.view.items[0]!.returnedQuantity).toBe(2);
    expect(() => order.takeBack([{ itemId: "item-1", quantity: 1 }])).toThrow(InvalidArgumentError);
    order.giveBackUnreceived("item-1", 1);
    expect(order.view.items[0]!.returnedQuantity).toBe(1);
    order.giveBackUnreceived("item-1", 5);
    expect(order.view.items[0]!.returnedQuantity).toBe(0);
  });

  it("when a cancelled item is named, then it cannot come back", () => {
    const order = shipped();
    const view = order.view;
    const cancelled = Order.restore({ ...view, items: view.items.map((item, i) => (i === 0 ? { ...item, status: "CANCELLED" } : item)) });
    expect(() => cancelled.checkReturnable([{ itemId: "item-1", quantity: 1, field: "a" }])).toThrow(/not a live item/);
  });

  it("when units are refunded, then the ledger, the sums and the line say the same, under the change's key", () => {
    const order = shipped();
    const { effects, plan } = order.refundUnits([{ itemId: "item-1", quantity: 1 }], refund, later);
    expect(plan.amountMinor).toBe(1080n);
    expect(effects).toEqual([
      {
        kind: "refund payment",
        orderId: "order-1",
        transactionId: "tx-1",
        amount: money("USD", 1080n),
        idempotencyKey: "refund:order-1:c-1",
        entryId: expect.any(String),
      },
    ]);
    expect(order.view).toMatchObject({ refundedMinor: 1080n, creditedMinor: 1080n, refundedTaxMinor: 80n, paymentStatus: "CAPTURED" });
    expect(order.view.items[0]).toMatchObject({ refundedQuantity: 1, refundedMinor: 1080n });
    const [entry] = order.newLedgerEntries;
    expect(entry).toMatchObject({
      kind: "REFUND",
      amountMinor: 1080n,
      refundCause: "RETURN",
      reason: "too small",
      position: 3,
      actor: later.actor,
    });
    order.refundIssued(entry!.id, "re_1");
    expect(order.newLedgerEntries[0]!.reference).toBe("re_1");
    expect(() => order.refundIssued("nope", "re_2")).toThrow(/no ledger entry/);
    expect(order.takeEvents().events.at(-1)).toMatchObject({ type: "RefundIssued", reason: "too small" });
  });

  it("when nothing was captured, then the units are no longer charged for and no money moves", () => {
    const order = shipped({ paymentStatus: "PENDING", capturedMinor: 0n, authorizedMinor: 0n, ledgerEntries: 0 });
    const { effects } = order.refundUnits([{ itemId: "item-2", quantity: 1 }], refund, later);
    expect(effects).toEqual([]);
    expect(order.view).toMatchObject({ refundedMinor: 0n, creditedMinor: 1080n });
    expect(order.view.items[1]).toMatchObject({ refundedQuantity: 1, refundedMinor: 1080n });
    expect(order.newLedgerEntries).toEqual([]);
  });

  it("when the last of the capture goes back, then the payment is REFUNDED", () => {
    const order = shipped();
    order.refundAmount({ cause: "SHIPPING", reason: "late", idempotencyKey: "k1" }, later);
    order.refundUnits(
      [
        { itemId: "item-1", quantity: 2 },
        { itemId: "item-2", quantity: 1 },
      ],
      refund,
      later,
    );
    expect(order.view).toMatchObject({
      refundedMinor: 3839n,
      paymentStatus: "REFUNDED",
      refundedShippingMinor: 599n,
      refundedTaxMinor: 240n,
    });
  });

  it("when the ledger is full, then no more payment attempts or staff refunds are taken, but the order can still be refunded whole", () => {
    const order = shipped({ ledgerEntries: MAX_LEDGER_ENTRIES });
    expect(thrownReason(() => order.refundAmount({ cause: "GOODWILL", amountMinor: 1n, reason: "x", idempotencyKey: "k" }, later))).toBe(
      "LEDGER_FULL",
    );
    expect(order.refund("damaged", later).map((effect) => effect.kind)).toEqual(["refund payment"]);
    expect(order.newLedgerEntries[0]!.position).toBe(MAX_LEDGER_ENTRIES + 1);
    const unpaid = orderIn("PENDING", { ledgerEntries: MAX_LEDGER_ENTRIES - 1 });
    expect(thrownReason(() => unpaid.paymentAuthorized({ type: "CASH_ON_DELIVERY", display: "" }, capturedAs(unpaid, "tx"), by))).toBe(
      "LEDGER_FULL",
    );
    unpaid.paymentDeclined({ type: "CASH_ON_DELIVERY", display: "" }, "card_declined", { idempotencyKey: "k", amount: unpaid.total }, by);
    expect(
      thrownReason(() =>
        unpaid.paymentDeclined({ type: "CASH_ON_DELIVERY", display: "" }, "x", { idempotencyKey: "k2", amount: unpaid.total }, by),
      ),
    ).toBe("LEDGER_FULL");
  });

  it("when paid, then the authorization and the capture are rows, and the sums say so", () => {
    const order = orderIn("PENDING");
    order.paymentAuthorized({ type: "CASH_ON_DELIVERY", display: "" }, capturedAs(order, "tx-7"), later);
    expect(
      order.newLedgerEntries.map((entry) => [
        entry.position,
        entry.kind,
        entry.amountMinor,
        entry.reference,
        entry.parentReference,
        entry.idempotencyKey,
      ]),
    ).toEqual([
      [1, "AUTHORIZATION", 3839n, "auth-tx-7", "", "pay:k"],
      [2, "CAPTURE", 3839n, "tx-7", "auth-tx-7", "capture:pay:k"],
    ]);
    expect(order.view).toMatchObject({ authorizedMinor: 3839n, capturedMinor: 3839n, ledgerEntries: 2 });
    const taken = order.takeEvents();
    expect(taken.ledgerEntries).toHaveLength(2);
    expect(taken.events.filter((event) => event.type === "PaymentCaptured")).toEqual([
      { type: "PaymentCaptured", amount: money("USD", 3839n), transactionId: "tx-7" },
    ]);
    expect(order.newLedgerEntries).toEqual([]);
  });

  it("when a payment is declined, then a FAILED authorization row keeps the code and the key", () => {
    const order = orderIn("PENDING");
    order.paymentDeclined(
      { type: "CASH_ON_DELIVERY", display: "" },
      "card_declined",
      { idempotencyKey: "pay:1", amount: order.total },
      later,
    );
    expect(order.newLedgerEntries).toMatchObject([
      { kind: "AUTHORIZATION", state: "FAILED", failureCode: "card_declined", idempotencyKey: "pay:1", amountMinor: 3839n, reference: "" },
    ]);
    expect(order.view).toMatchObject({ authorizedMinor: 0n, ledgerEntries: 1 });
  });

  it("when an unpaid order is cancelled, then it costs nothing and no money moves", () => {
    const order = orderIn("PENDING");
    expect(order.cancel("no", later).map((effect) => effect.kind)).toEqual(["release stock"]);
    expect(order.view).toMatchObject({ creditedMinor: 3839n, refundedMinor: 0n });
    expect(order.newLedgerEntries).toEqual([]);
  });
});

describe("the whole-order refund after part went back", () => {
  it("gives back and reports what is left of the capture", () => {
    const order = orderIn("DELIVERED", captured);
    order.refundAmount({ cause: "GOODWILL", amountMinor: 839n, reason: "late", idempotencyKey: "k" }, by);
    const [refund] = order.refund("damaged", later);
    expect(refund).toMatchObject({ kind: "refund payment", amount: money("USD", 3000n) });
    expect(order.takeEvents().events.at(-1)).toEqual({ type: "OrderRefunded", reason: "damaged", amount: money("USD", 3000n) });
    expect(order.view).toMatchObject({ refundedMinor: 3839n, creditedMinor: 3839n, paymentStatus: "REFUNDED" });
  });

  it("when nothing was captured, says so with the payment's status", () => {
    const error = (() => {
      try {
        orderIn("DELIVERED").refund("damaged", by);
      } catch (caught) {
        return caught as DomainError & { violations: unknown };
      }
    })();
    expect(error?.message).toBe("the payment is PENDING, nothing was captured; cancel the order instead");
    expect(error?.violations).toEqual([{ type: "PAYMENT", subject: "orders/order-1", description: "payment is PENDING" }]);
  });

  it("when the ledger is full, says how full", () => {
    const error = (() => {
      try {
        orderIn("DELIVERED", { ...captured, ledgerEntries: MAX_LEDGER_ENTRIES }).refundAmount(
          { cause: "GOODWILL", amountMinor: 1n, reason: "x", idempotencyKey: "k" },
          by,
        );
      } catch (caught) {
        return caught as DomainError & { violations: unknown };
      }
    })();
    expect(error?.message).toBe(`an order's ledger holds at most ${MAX_LEDGER_ENTRIES} payment entries`);
    expect(error?.violations).toEqual([{ type: "PAYMENT", subject: "orders/order-1", description: `${MAX_LEDGER_ENTRIES} entries` }]);
  });

  it("when a refund row is made, then it starts SUCCEEDED with nothing else said", () => {
    const order = orderIn("DELIVERED", captured);
    order.refundAmount({ cause: "SHIPPING", reason: "late", idempotencyKey: "k" }, by);
    expect(order.newLedgerEntries[0]).toMatchObject({ state: "SUCCEEDED", failureCode: "", refundCause: "SHIPPING", reference: "" });
    const paid = orderIn("PENDING");
    paid.paymentAuthorized({ type: "CASH_ON_DELIVERY", display: "" }, capturedAs(paid, "tx"), by);
    expect(paid.newLedgerEntries[0]).toMatchObject({ refundCause: "", reason: "", failureCode: "", breakdown: null });
  });
});

describe("capture as parcels leave (CAPTURE_ON=shipment)", () => {
  const cod = { type: "CASH_ON_DELIVERY", display: "" } as const;
  const authorizedOrder = () => {
    const order = orderIn("PENDING");
    order.paymentAuthorized(cod, { authorizationId: "auth-1", authorizeKey: "pay:1", amount: order.amountDue }, by);
    order.takeEvents();
    return order;
  };
  const progress = (entries: [string, number][]) => new Map(entries.map(([id, shipped]) => [id, { shipped, delivered: 0 }]));
  const take = (order: Order, transactionId: string) =>
    order.settlePayment(later).map((effect) => {
      if (effect.kind === "capture payment") order.captureTaken(effect.entryId, transactionId);
      return effect;
    });
  /** Units handed to the carrier, the last parcel with its tracking: every unit left to ship, in these tests. */
  const handOver = (order: Order, entries: [string, number][]) =>
    order.followFulfilment(progress(entries), { trackingNumber: "T", carrier: "C" }, later);
  const kindsAndAmounts = (effects: readonly Effect[]) =>
    effects.map((effect) => [effect.kind, "amount" in effect && effect.amount.amountMinor]);

  it("when authorized only, then the order is PAID, the payment AUTHORIZED, and nothing is due", () => {
    const order = authorizedOrder();
    expect(order.view).toMatchObject({ status: "PAID", paymentStatus: "AUTHORIZED", authorizedMinor: 3839n, capturedMinor: 0n });
    expect(order.amountDue.amountMinor).toBe(0n);
    expect(order.settlePayment(later)).toEqual([]);
  });

  it("when one unit leaves, then it is captured with its tax and the shipping; when the rest leave, the rest, and nothing is left held", () => {
    const order = authorizedOrder();
    order.followFulfilment(progress([["item-1", 1]]), undefined, later);
    const [first] = take(order, "tx-1");
    expect(first).toMatchObject({ kind: "capture payment", authorizationId: "auth-1", amount: money("USD", 1000n + 80n + 599n) });
    expect(order.view).toMatchObject({ capturedMinor: 1679n, paymentStatus: "CAPTURED", paymentTransactionId: "tx-1" });
    expect(take(order, "tx-1")).toEqual([]);
    handOver(order, [
      ["item-1", 2],
      ["item-2", 1],
    ]);
    expect(take(order, "tx-2").map((effect) => "amount" in effect && effect.amount)).toEqual([money("USD", 2160n)]);
    expect(order.view).toMatchObject({ status: "SHIPPED", capturedMinor: 3839n, voidedMinor: 0n });
    expect(order.newLedgerEntries.map((entry) => [entry.kind, entry.amountMinor, entry.reference])).toEqual([
      ["CAPTURE", 1679n, "tx-1"],
      ["CAPTURE", 2160n, "tx-2"],
    ]);
  });

  it("when an edit lowered the total, then only the new total is captured and the rest of the authorization released once", () => {
    const order = authorizedOrder();
    order.removeItem("item-2", pricing);
    handOver(order, [["item-1", 2]]);
    const effects = take(order, "tx-1");
    expect(effects.map((effect) => [effect.kind, "amount" in effect && effect.amount])).toEqual([
      ["capture payment", money("USD", 2759n)],
      ["void authorization", money("USD", 1080n)],
    ]);
    expect(effects[1]).toMatchObject({ idempotencyKey: "void:auth-1:0" });
    expect(order.view).toMatchObject({ capturedMinor: 2759n, voidedMinor: 1080n, paymentStatus: "CAPTURED" });
    expect(order.takeEvents().events.filter((event) => event.type === "AuthorizationAdjusted")).toEqual([
      { type: "AuthorizationAdjusted", change: money("USD", -1080n), held: money("USD", 0n), reason: "nothing is left to ship" },
    ]);
    expect(order.settlePayment(later)).toEqual([]);
  });

  it("when an order captured in two parts is refunded whole, then each capture gives back its own, the second under key:2", () => {
    const order = authorizedOrder();
    order.followFulfilment(progress([["item-1", 1]]), undefined, later);
    take(order, "tx-1");
    handOver(order, [
      ["item-1", 2],
      ["item-2", 1],
    ]);
    take(order, "tx-2");
    const refunds = order.refund("damaged", later).filter((effect) => effect.kind === "refund payment");
    expect(refunds.map((effect) => [effect.transactionId, effect.amount.amountMinor, effect.idempotencyKey])).toEqual([
      ["tx-1", 1679n, "refund:order-1"],
      ["tx-2", 2160n, "refund:order-1:2"],
    ]);
    expect(order.view).toMatchObject({ refundedMinor: 3839n, paymentStatus: "REFUNDED" });
  });

  it("when the order costs less than the goods shipped (units credited), then only what it costs is captured and the rest released", () => {
    const order = orderIn("PAID", { ...authorized, creditedMinor: 1000n });
    handOver(order, [
      ["item-1", 2],
      ["item-2", 1],
    ]);
    expect(kindsAndAmounts(take(order, "tx-1"))).toEqual([
      ["capture payment", 2839n],
      ["void authorization", 1000n],
    ]);
  });

  it("when more is due than the authorization holds (a dearer edit not yet paid), then only what it holds is captured", () => {
    const order = authorizedOrder();
    order.changeQuantity("item-2", 2, pricing);
    expect(order.amountDue.amountMinor).toBe(1080n);
    handOver(order, [
      ["item-1", 2],
      ["item-2", 2],
    ]);
    expect(kindsAndAmounts(take(order, "tx-1"))).toEqual([["capture payment", 3839n]]);
    expect(order.view).toMatchObject({ capturedMinor: 3839n, voidedMinor: 0n });
    expect(order.amountDue.amountMinor).toBe(1080n);
  });

  it("when a difference is declined after the first payment, then the payment keeps its status and the decline is recorded", () => {
    const order = authorizedOrder();
    order.changeQuantity("item-2", 2, pricing);
    order.paymentDeclined(cod, "insufficient_funds", { idempotencyKey: "pay:2", amount: order.amountDue }, later);
    expect(order.view).toMatchObject({ paymentStatus: "AUTHORIZED", paymentFailureReason: "insufficient_funds" });
    expect(() => order.captureTaken("no-such-row", "tx")).toThrow("captureTaken: no capture no-such-row in this change");
  });

  it("when an authorized order is cancelled, then what is held is released and nothing is refunded", () => {
    const order = authorizedOrder();
    const effects = order.cancel("changed my mind", later);
    expect(effects.map((effect) => effect.kind)).toEqual(["void authorization", "release stock"]);
    expect(order.view).toMatchObject({ voidedMinor: 3839n, paymentStatus: "PENDING", refundedMinor: 0n });
  });
});

describe("edits of a paid order", () => {
  const cod = { type: "CASH_ON_DELIVERY", display: "" } as const;
  const paidOrder = () => {
    const order = orderIn("PENDING");
    order.paymentAuthorized(cod, capturedAs(order, "tx-1"), by);
    order.takeEvents();
    return order;
  };

  it("when an edit lowers the total of a captured order, then the difference is refunded once as BALANCE", () => {
    const order = paidOrder();
    order.removeItem("item-2", pricing);
    const [refund] = order.settleBalance("the order costs less", later);
    expect(refund).toMatchObject({ kind: "refund payment", transactionId: "tx-1", amount: money("USD", 1080n) });
    expect(order.view).toMatchObject({ refundedMinor: 1080n, totalMinor: 2759n, paymentStatus: "CAPTURED" });
    expect(order.settleBalance("again", later)).toEqual([]);
    expect(order.newLedgerEntries.at(-1)).toMatchObject({ refundCause: "BALANCE", breakdown: { otherMinor: "1080" } });
  });

  it("when an edit raises the total, then the difference is due, and paying it adds an authorization and a capture", () => {
    const order = paidOrder();
    order.changeQuantity("item-2", 2, pricing);
    expect(order.amountDue).toEqual(money("USD", 1080n));
    expect(order.settleBalance("nothing over", later)).toEqual([]);
    order.paymentAuthorized(cod, { ...capturedAs(order, "tx-2"), authorizationId: "auth-2" }, later);
    expect(order.amountDue.amountMinor).toBe(0n);
    expect(order.view.paymentTrail.captures.map((capture) => [capture.id, capture.amountMinor])).toEqual([
      ["tx-1", "3839"],
      ["tx-2", "1080"],
    ]);
    expect(order.takeEvents().events.map((event) => event.type)).toEqual(["OrderItemsChanged", "PaymentCaptured", "AuthorizationAdjusted"]);
  });
});

describe("exchanges", () => {
  /** Delivered and captured: 2 of item-1 and 1 of item-2 at 10.00, 38.39 with tax and shipping; a unit with its tax 10.80. */
  const delivered = () => {
    const order = orderIn("DELIVERED", captured);
    const view = order.view;
    return Order.restore({ ...view, items: view.items.map((line) => ({ ...line, status: "DELIVERED", shippedQuantity: line.quantity })) });
  };

  it("when one unit comes back for a dearer line, then it is credited, the new line is taxed on its own, and the difference is due", () => {
    const order = delivered();
    const taxes = order.view.items.map((line) => line.taxMinor);
    const { credit, added } = order.exchange([{ itemId: "item-1", quantity: 1 }], [item(3, 1, 1500n)], pricing);
    expect(credit).toMatchObject({ creditMinor: 1080n, lines: [{ itemId: "item-1", quantity: 1, amountMinor: 1080n, taxMinor: 80n }] });
    expect(added).toEqual([{ itemId: "item-3", quantity: 1, amountMinor: 1620n, taxMinor: 120n }]);
    const view = order.view;
    expect(view.items.slice(0, 2).map((line) => line.taxMinor)).toEqual(taxes);
    expect(view.items[2]).toMatchObject({ status: "PENDING", taxMinor: 120n, position: 2 });
    expect(view).toMatchObject({
      subtotalMinor: 4500n,
      taxMinor: 360n,
      shippingMinor: 599n,
      totalMinor: 3839n + 1620n,
      creditedMinor: 1080n,
    });
    expect(order.amountDue).toEqual(money("USD", 540n));
    expect(order.settleBalance("nothing over", later)).toEqual([]);
    expect(order.takeEvents().events.map((event) => event.type)).toEqual(["OrderItemCreated", "OrderItemsChanged"]);
  });

  it("when the new line costs less, then the difference is refunded once as BALANCE", () => {
    const order = delivered();
    order.exchange([{ itemId: "item-2", quantity: 1 }], [item(3, 1, 500n)], pricing);
    expect(order.amountDue).toEqual(money("USD", -540n));
    const [refund] = order.settleBalance("an exchange cost less", later);
    expect(refund).toMatchObject({ kind: "refund payment", amount: money("USD", 540n) });
    expect(order.settleBalance("again", later)).toEqual([]);
  });

  it("when units of an exchange never arrive, then they are charged again, the last credited first, and can come back again", () => {
    const order = delivered();
    order.exchange([{ itemId: "item-1", quantity: 2 }], [item(3, 1, 1000n)], pricing);
    expect(order.view).toMatchObject({ creditedMinor: 2160n, refundedTaxMinor: 160n });
    order.chargeBackUnreceived("item-1", 1);
    expect(order.view).toMatchObject({ creditedMinor: 1080n, refundedTaxMinor: 80n });
    expect(order.view.items[0]).toMatchObject({ refundedQuantity: 1, refundedMinor: 1080n, returnedQuantity: 1 });
    order.chargeBackUnreceived("item-1", 5);
    expect(order.view).toMatchObject({ creditedMinor: 0n, refundedTaxMinor: 0n });
    expect(order.view.items[0]).toMatchObject({ refundedQuantity: 0, refundedMinor: 0n, returnedQuantity: 0 });
    expect(() => order.checkReturnable([{ itemId: "item-1", quantity: 2, field: "a" }])).not.toThrow();
  });

  it("whatever units an exchange credits and then charges back, the credit is exactly the value of the units still credited (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.bigInt({ min: 1n, max: 99_999n }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.nat(),
        fc.nat(),
        (quantity, unitPriceMinor, taxRateBps, k, m) => {
          const policy = { ...pricing, taxRateBps };
          const placed = Order.place(newOrder([item(1, quantity, unitPriceMinor), item(2, 1, 700n)]), policy, by);
          const view = placed.view;
          const order = Order.restore({
            ...view,
            status: "DELIVERED",
            items: view.items.map((line) => ({ ...line, status: "DELIVERED", shippedQuantity: line.quantity })),
          });
          const credited = (k % quantity) + 1;
          const missing = m % (credited + 1);
          order.exchange([{ itemId: "item-1", quantity: credited }], [item(3, 1, 100n)], policy);
          order.chargeBackUnreceived("item-1", missing);
          const line = order.view.items[0]!;
          const kept = unitsRefund({ ...line, refundedQuantity: 0 }, line.taxMinor, credited - missing);
          expect(order.view.creditedMinor).toBe(kept.amountMinor);
          expect(line.refundedMinor).toBe(kept.amountMinor);
          expect(order.view.refundedTaxMinor).toBe(kept.taxMinor);
          expect(line.returnedQuantity).toBe(credited - missing);
        },
      ),
    );
  });

  it("when an exchange adds a line the order holds, too many lines, or units not shipped, then it is refused and nothing changes", () => {
    const order = delivered();
    const before = order.view;
    const twice = caught(() => order.exchange([{ itemId: "item-1", quantity: 1 }], [item(2)], pricing));
    expect(twice).toBeInstanceOf(InvalidArgumentError);
    expect((twice as InvalidArgumentError).violations).toEqual([
      { field: "add_item.product_id", description: '"prod-2" is already in the order' },
    ]);
    const many = Array.from({ length: MAX_ITEMS - 1 }, (_, n) => item(n + 3));
    expect(thrownReason(() => order.exchange([{ itemId: "item-1", quantity: 1 }], many, pricing))).toBe("TOO_MANY_ITEMS");
    expect(() => order.exchange([{ itemId: "item-1", quantity: 3 }], [item(3)], pricing)).toThrow(InvalidArgumentError);
    expect(order.view).toEqual(before);
    expect(thrownReason(() => orderIn("PAID").exchange([{ itemId: "item-1", quantity: 1 }], [item(3)], pricing))).toBe(
      "ORDER_STATUS_FORBIDS",
    );
  });

  it("when claimed units are replaced, then a free copy of the line is added, and the total, tax and balance do not move", () => {
    const order = delivered();
    const before = order.view;
    order.takeBack([{ itemId: "item-1", quantity: 1 }]);
    order.replace([{ itemId: "item-1", quantity: 1, replacementItemId: "item-9" }]);
    const copy = order.view.items[2]!;
    expect(copy).toMatchObject({ id: "item-9", productId: "prod-1", sku: "SKU-1", quantity: 1, unitPriceMinor: 0n, taxMinor: 0n });
    expect(copy).toMatchObject({ status: "PENDING", shippedQuantity: 0, returnedQuantity: 0, refundedQuantity: 0, position: 2 });
    expect(order.view).toMatchObject({ totalMinor: before.totalMinor, taxMinor: before.taxMinor, creditedMinor: 0n });
    expect(order.amountDue).toEqual(money("USD", 0n));
    expect(thrownReason(() => orderIn("PAID").replace([]))).toBe("ORDER_STATUS_FORBIDS");
    const many = Array.from({ length: MAX_ITEMS - 2 }, (_, n) => ({ itemId: "item-1", quantity: 1, replacementItemId: `r-${n}` }));
    expect(thrownReason(() => order.replace(many))).toBe("TOO_MANY_ITEMS");
  });

  it("when an order that shipped holds an exchange's unshipped line, then the difference's authorization waits for it, and is captured as it ships", () => {
    const shipped = orderIn("SHIPPED", authorized);
    const order = Order.restore({
      ...shipped.view,
      items: shipped.view.items.map((line) => ({ ...line, status: "SHIPPED", shippedQuantity: line.quantity })),
    });
    order.exchange([{ itemId: "item-2", quantity: 1 }], [item(3, 1, 1500n)], pricing);
    const difference = { authorizationId: "auth-2", authorizeKey: "pay:2", amount: order.amountDue };
    order.paymentAuthorized({ type: "CASH_ON_DELIVERY", display: "" }, difference, later);
    const first = order.settlePayment(later);
    expect(first).toEqual([expect.objectContaining({ kind: "capture payment", amount: money("USD", 3839n) })]);
    const all = new Map(order.view.items.map((line) => [line.id, { shipped: line.quantity, delivered: 0 }]));
    order.followFulfilment(all, undefined, later);
    expect(order.settlePayment(later)).toEqual([expect.objectContaining({ kind: "capture payment", amount: money("USD", 540n) })]);
    expect(order.view).toMatchObject({ capturedMinor: 3839n + 540n, voidedMinor: 0n });
  });
});
