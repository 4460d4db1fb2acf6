import { describe, expect, it } from "vitest";
import { FulfilmentOrder, MAX_HOLDS } from "../../src/fulfilment/domain/fulfilment-order.js";
import {
  FULFILMENT_ALLOWED_IN,
  FULFILMENT_STATUSES,
  FulfilmentStatusForbidsError,
  HANDED_OVER,
  IllegalFulfilmentTransitionError,
  isAllowedIn,
  SHIPMENT_STATUSES,
  transitionFulfilment,
  transitionShipment,
  type FulfilmentAction,
} from "../../src/fulfilment/domain/fulfilment-status.js";
import { DomainError } from "../../src/platform/errors/domain-errors.js";
import { thrownReason } from "../support/errors.js";
import { at, by, fresh, id, lines, remaining, ship } from "../support/fulfilment-fixtures.js";

type WithViolations = DomainError & { readonly violations: readonly unknown[] };

/** The error an action throws, for its message and details (field or precondition violations). */
function thrown(action: () => unknown): WithViolations {
  try {
    action();
  } catch (error) {
    if (error instanceof DomainError) return error as WithViolations;
    throw error;
  }
  throw new Error("expected a domain error");
}

describe("what each status allows, written out", () => {
  const allowed: Record<FulfilmentAction, string[]> = {
    hold: ["OPEN", "SCHEDULED", "ON_HOLD", "IN_PROGRESS"],
    release: ["ON_HOLD"],
    ship: ["OPEN", "IN_PROGRESS"],
    move: ["OPEN", "SCHEDULED", "ON_HOLD"],
    split: ["OPEN", "SCHEDULED", "ON_HOLD"],
    merge: ["OPEN", "SCHEDULED", "ON_HOLD"],
    schedule: ["OPEN", "SCHEDULED"],
    cancel: ["OPEN", "SCHEDULED", "ON_HOLD", "IN_PROGRESS"],
  };
  const actions = Object.keys(allowed) as FulfilmentAction[];

  it.each(actions.flatMap((action) => FULFILMENT_STATUSES.map((status) => [action, status] as const)))(
    "%s in %s is allowed exactly when the table says so",
    (action, status) => {
      expect(isAllowedIn(status, action)).toBe(allowed[action].includes(status));
    },
  );

  it("when an action is refused, then FAILED_PRECONDITION names the order, its status and where the action is allowed", () => {
    const error = new FulfilmentStatusForbidsError("fo-1", "CLOSED", "hold");
    expect([error.kind, error.reason]).toEqual(["failed_precondition", "FULFILLMENT_STATUS_FORBIDS"]);
    expect(error.message).toBe('cannot hold fulfilment order "fo-1" while it is CLOSED; allowed in OPEN, SCHEDULED, ON_HOLD, IN_PROGRESS');
    expect(error.violations).toEqual([{ type: "FULFILLMENT_STATUS", subject: "fulfillmentOrders/fo-1", description: "is CLOSED" }]);
    expect(Object.keys(FULFILMENT_ALLOWED_IN).sort()).toEqual([...actions].sort());
  });

  it("when a move is illegal, then the error lists the legal ones, or says the status is terminal", () => {
    const error = new IllegalFulfilmentTransitionError("SCHEDULED", "CLOSED");
    expect(error.message).toBe(
      "a fulfilment order cannot move from SCHEDULED to CLOSED; from SCHEDULED it can move to OPEN, ON_HOLD, CANCELLED",
    );
    expect(error.violations).toEqual([
      { type: "FULFILLMENT_TRANSITION", subject: "SCHEDULED->CLOSED", description: "not in the fulfilment transition table" },
    ]);
    expect(thrown(() => transitionFulfilment("CANCELLED", "OPEN")).message).toContain("from CANCELLED it can move to nothing (terminal)");
  });
});

describe("the shipment table, written out", () => {
  const legal = new Set(["READY>IN_TRANSIT", "READY>CANCELLED", "IN_TRANSIT>DELIVERED", "IN_TRANSIT>FAILED", "FAILED>DELIVERED"]);

  it.each(SHIPMENT_STATUSES.flatMap((from) => SHIPMENT_STATUSES.map((to) => [from, to] as const)))(
    "a shipment %s -> %s is legal exactly when the table says so",
    (from, to) => {
      if (legal.has(`${from}>${to}`)) expect(transitionShipment("s-1", from, to)).toBe(to);
      else expect(thrownReason(() => transitionShipment("s-1", from, to))).toBe("ILLEGAL_SHIPMENT_TRANSITION");
    },
  );

  it("when a shipment moves illegally, then the error names it and what it may do", () => {
    const error = thrown(() => transitionShipment("s-1", "READY", "DELIVERED"));
    expect(error.message).toBe('shipment "s-1" cannot move from READY to DELIVERED; from READY it can move to IN_TRANSIT, CANCELLED');
    expect(error.violations).toEqual([
      { type: "SHIPMENT_TRANSITION", subject: "shipments/s-1", description: "READY->DELIVERED is not in the shipment transition table" },
    ]);
    expect(thrown(() => transitionShipment("s-1", "DELIVERED", "FAILED")).message).toContain("nothing (terminal)");
    expect(HANDED_OVER).toEqual(["IN_TRANSIT", "DELIVERED", "FAILED"]);
  });
});

describe("a fulfilment order's edges", () => {
  it("when made with no lines or a line of no units, then INVALID_ARGUMENT names the lines", () => {
    const base = { id: "x", orderId: "o", sellerId: "s", locationId: "l" };
    const mug = { id: "line-mug", orderItemId: "item-mug", productId: "prod-mug", variantId: "" };
    expect(thrown(() => FulfilmentOrder.create({ ...base, lines: [] }, by())).violations).toEqual([
      { field: "lines", description: "a fulfilment order needs lines of at least one unit" },
    ]);
    expect(thrownReason(() => FulfilmentOrder.create({ ...base, lines: [{ ...mug, quantity: 0 }] }, by()))).toBe("INVALID_ARGUMENT");
    expect(FulfilmentOrder.create({ ...base, lines: [{ ...mug, quantity: 1 }] }, by()).status).toBe("OPEN");
  });

  it("when holds are placed without handles, then each gets one made from its reason, numbered when taken; events say which", () => {
    const fo = fresh();
    fo.takeEvents();
    fo.hold({ id: id(), reason: "HIGH_RISK_OF_FRAUD", note: "a" }, by(1));
    fo.release([], by(2));
    fo.hold({ id: id(), reason: "HIGH_RISK_OF_FRAUD", note: "b" }, by(3, "ops-2"));
    expect(fo.view.holds.map((hold) => [hold.handle, hold.note, hold.heldBy, hold.heldAt, hold.releasedAt])).toEqual([
      ["high-risk-of-fraud", "a", "ops-1", at(1), at(2)],
      ["high-risk-of-fraud-2", "b", "ops-2", at(3), null],
    ]);
    expect(fo.takeEvents()).toEqual([
      { type: "FulfillmentOrderHeld", fulfillmentOrderId: fo.id, handle: "high-risk-of-fraud", reason: "HIGH_RISK_OF_FRAUD" },
      { type: "FulfillmentOrderReleased", fulfillmentOrderId: fo.id, handles: ["high-risk-of-fraud"] },
      { type: "FulfillmentOrderHeld", fulfillmentOrderId: fo.id, handle: "high-risk-of-fraud-2", reason: "HIGH_RISK_OF_FRAUD" },
    ]);
    expect(fo.takeEvents()).toEqual([]);
    expect(thrownReason(() => fo.release(["no-such-hold"], by(4)))).toBe("HOLD_NOT_FOUND");
  });

  it("when the payment is captured, then only its AWAITING_PAYMENT hold is released; another hold keeps it ON_HOLD; with none, nothing happens", () => {
    const card = fresh("AWAITING_PAYMENT");
    card.hold({ id: id(), reason: "INCORRECT_ADDRESS", note: "" }, by(1));
    card.releasePaymentHold(by(2, "payments"));
    expect(card.status).toBe("ON_HOLD");
    expect(card.view.holds.map((hold) => [hold.reason, hold.releasedBy])).toEqual([
      ["AWAITING_PAYMENT", "payments"],
      ["INCORRECT_ADDRESS", ""],
    ]);
    const open = fresh();
    open.takeEvents();
    open.releasePaymentHold(by(2));
    expect([open.status, open.takeEvents()]).toEqual(["OPEN", []]);
    const other = fresh();
    other.hold({ id: id(), reason: "OTHER", note: "" }, by(1));
    other.takeEvents();
    other.releasePaymentHold(by(2));
    expect([other.status, other.takeEvents()]).toEqual(["ON_HOLD", []]);
  });

  it("when a split is asked for, then it keeps the order, seller, location and unreleased holds, and both settle their status", () => {
    const fo = fresh();
    fo.hold({ id: id(), reason: "OTHER", note: "", handle: "gone" }, by(1));
    fo.release(["gone"], by(1));
    fo.hold({ id: id(), reason: "OTHER", note: "", handle: "kept" }, by(2));
    const part = fo.split(lines([["line-mug", 1]]), "fo-part", () => "line-new", by(3));
    expect(part.view).toMatchObject({
      orderId: "order-1",
      sellerId: "seller-north",
      locationId: "north-east",
      version: 1,
      createdAt: at(3),
    });
    expect(part.view.lines).toEqual([
      { id: "line-new", orderItemId: "item-mug", productId: "prod-mug", variantId: "", quantity: 1, remaining: 1 },
    ]);
    expect(part.view.holds.map((hold) => hold.handle)).toEqual(["kept"]);
    expect([fo.status, part.status]).toEqual(["ON_HOLD", "ON_HOLD"]);
    expect(fo.view.lines.map((line) => [line.id, line.quantity, line.remaining])).toEqual([
      ["line-mug", 2, 2],
      ["line-tee", 1, 1],
    ]);
    // A line split off whole leaves this one.
    const rest = fresh();
    rest.split(lines([["line-tee", 1]]), "fo-tee", id, by(4));
    expect(rest.view.lines.map((line) => line.id)).toEqual(["line-mug"]);
    expect(thrownReason(() => rest.split(lines([]), "none", id, by(5)))).toBe("INVALID_ARGUMENT");
  });

  it("when merged, then lines of the same item add up, new ones join, clashing hold handles are renamed and the hold cap holds", () => {
    const fo = fresh();
    const part = fo.split(
      lines([
        ["line-mug", 1],
        ["line-tee", 1],
      ]),
      "fo-part",
      id,
      by(1),
    );
    fo.hold({ id: id(), reason: "INCORRECT_ADDRESS", note: "mine" }, by(2));
    part.hold({ id: id(), reason: "INCORRECT_ADDRESS", note: "theirs" }, by(2));
    fo.merge(part, by(3));
    expect(fo.view.lines.map((line) => [line.orderItemId, line.quantity, line.remaining])).toEqual([
      ["item-mug", 3, 3],
      ["item-tee", 1, 1],
    ]);
    expect(fo.view.holds.map((hold) => [hold.handle, hold.note])).toEqual([
      ["incorrect-address", "mine"],
      ["incorrect-address-2", "theirs"],
    ]);
    expect(part.view.lines).toEqual([]);
    expect(part.view.holds.every((hold) => hold.releasedAt !== null)).toBe(true);
    expect(part.takeEvents().at(-1)).toEqual({ type: "FulfillmentOrderCancelled", fulfillmentOrderId: "fo-part" });
    expect(thrownReason(() => fo.merge(fo, by(4)))).toBe("FULFILLMENT_ORDERS_DIFFER");

    const full = fresh();
    const other = full.split(lines([["line-mug", 1]]), "fo-other", id, by(1));
    for (let n = 0; n < MAX_HOLDS - 1; n++) {
      full.hold({ id: id(), reason: "OTHER", note: "" }, by(1));
      full.release([], by(1));
    }
    other.hold({ id: id(), reason: "OTHER", note: "" }, by(1));
    other.hold({ id: id(), reason: "OTHER", note: "" }, by(1));
    expect(thrown(() => full.merge(other, by(2))).reason).toBe("TOO_MANY_HOLDS");
    expect(other.status).toBe("ON_HOLD");
  });

  it("when another order's or seller's fulfilment order is merged in, then it is refused", () => {
    const fo = fresh();
    const stranger = FulfilmentOrder.create({ ...fo.view, id: "fo-stranger", orderId: "order-2", lines: fo.view.lines }, by());
    const otherSeller = FulfilmentOrder.create({ ...fo.view, id: "fo-south", sellerId: "seller-south", lines: fo.view.lines }, by());
    expect(thrownReason(() => fo.merge(stranger, by(1)))).toBe("FULFILLMENT_ORDERS_DIFFER");
    expect(thrownReason(() => fo.merge(otherSeller, by(1)))).toBe("FULFILLMENT_ORDERS_DIFFER");
    ship(stranger, [["line-mug", 1]]);
    expect(thrownReason(() => fo.merge(stranger, by(1)))).toBe("FULFILLMENT_STATUS_FORBIDS");
  });

  it("when moved, then the event names both locations; schedule to null opens it again and ON_HOLD cannot be scheduled", () => {
    const fo = fresh();
    fo.takeEvents();
    fo.moveTo("north-west", by(1));
    expect(fo.takeEvents()).toEqual([
      { type: "FulfillmentOrderMoved", fulfillmentOrderId: fo.id, fromLocationId: "north-east", toLocationId: "north-west" },
    ]);
    fo.schedule(at(30), by(2));
    expect([fo.status, fo.view.fulfillAt]).toEqual(["SCHEDULED", at(30)]);
    fo.schedule(null, by(3));
    expect([fo.status, fo.view.fulfillAt]).toEqual(["OPEN", null]);
    fo.schedule(at(1), by(3));
    expect(fo.status).toBe("OPEN");
    fo.hold({ id: id(), reason: "OTHER", note: "" }, by(4));
    expect(thrownReason(() => fo.schedule(at(40), by(5)))).toBe("FULFILLMENT_STATUS_FORBIDS");
  });

  it("when a shipment names no line, an unknown line or a bad quantity, then INVALID_ARGUMENT names each; nothing changes", () => {
    const fo = fresh();
    const before = fo.view;
    expect(thrown(() => ship(fo, [])).violations).toEqual([{ field: "lines", description: "name at least one line" }]);
    expect(thrown(() => ship(fo, [["line-x", 1]])).violations).toEqual([
      { field: "lines[line-x]", description: `fulfilment order "${fo.id}" has no such line` },
    ]);
    for (const quantity of [0, -1, 1.5])
      expect(thrown(() => ship(fo, [["line-mug", quantity]])).violations).toEqual([
        { field: "lines[line-mug].quantity", description: "must be at least 1" },
      ]);
    const short = thrown(() => ship(fo, [["line-tee", 2]]));
    expect(short.message).toBe('line "line-tee" has 1 units remaining, not 2');
    expect(short.violations).toEqual([
      { type: "FULFILLMENT_LINE", subject: `fulfillmentOrders/${fo.id}/lines/line-tee`, description: "1 remaining" },
    ]);
    expect(fo.view).toEqual(before);
  });

  it("when a parcel is made, then it carries its tracking and lines, READY until handed over, with its events in order", () => {
    const fo = fresh();
    fo.takeEvents();
    fo.ship(
      { id: "s-1", lines: lines([["line-mug", 2]]), carrier: "DHL", trackingNumber: "JD1", trackingUrl: "https://t/1", handedOver: false },
      by(5),
    );
    expect(fo.view.shipments).toEqual([
      {
        id: "s-1",
        status: "READY",
        carrier: "DHL",
        trackingNumber: "JD1",
        trackingUrl: "https://t/1",
        failureReason: "",
        createdAt: at(5),
        updatedAt: at(5),
        lines: [{ fulfilmentLineId: "line-mug", orderItemId: "item-mug", productId: "prod-mug", variantId: "", quantity: 2 }],
      },
    ]);
    fo.moveShipment("s-1", "IN_TRANSIT", "", by(6));
    fo.moveShipment("s-1", "FAILED", "nobody home", by(7));
    fo.moveShipment("s-1", "DELIVERED", "", by(8));
    expect(fo.takeEvents()).toEqual([
      { type: "ShipmentCreated", fulfillmentOrderId: fo.id, shipmentId: "s-1" },
      { type: "ShipmentInTransit", fulfillmentOrderId: fo.id, shipmentId: "s-1" },
      { type: "ShipmentFailed", fulfillmentOrderId: fo.id, shipmentId: "s-1", reason: "nobody home" },
      { type: "ShipmentDelivered", fulfillmentOrderId: fo.id, shipmentId: "s-1" },
    ]);
    expect(fo.view.shipments[0]).toMatchObject({ status: "DELIVERED", failureReason: "nobody home", updatedAt: at(8) });
    expect(thrownReason(() => fo.moveShipment("s-404", "DELIVERED", "", by(9)))).toBe("SHIPMENT_NOT_FOUND");
  });

  it("when tracking is corrected, then the parcel carries the new one; a cancelled parcel's cannot be", () => {
    const fo = fresh();
    ship(fo, [["line-mug", 1]]);
    const [parcel] = fo.view.shipments;
    fo.takeEvents();
    fo.correctTracking(parcel!.id, { carrier: "FedEx", trackingNumber: "FX9", trackingUrl: "https://f/9" }, by(9));
    expect(fo.view.shipments[0]).toMatchObject({ carrier: "FedEx", trackingNumber: "FX9", trackingUrl: "https://f/9", updatedAt: at(9) });
    expect(fo.takeEvents()).toEqual([{ type: "ShipmentTrackingChanged", fulfillmentOrderId: fo.id, shipmentId: parcel!.id }]);
    fo.moveShipment(parcel!.id, "CANCELLED", "", by(10));
    const refused = thrown(() => fo.correctTracking(parcel!.id, { carrier: "", trackingNumber: "X", trackingUrl: "" }, by(11)));
    expect([refused.reason, refused.message]).toEqual(["SHIPMENT_CANCELLED", `shipment "${parcel!.id}" was cancelled`]);
  });

  it("when an order item is cancelled, then its lines leave and their remaining units are released; the last one cancels the fulfilment order", () => {
    const fo = fresh();
    expect(fo.dropItem("item-none", by(1))).toEqual([]);
    ship(fo, [["line-mug", 1]]);
    expect(thrownReason(() => fo.dropItem("item-mug", by(2)))).toBe("ITEM_IN_SHIPMENT");
    expect(fo.dropItem("item-tee", by(2))).toEqual([
      { kind: "release units", units: [{ productId: "prod-tee", variantId: "", locationId: "north-east", quantity: 1 }] },
    ]);
    expect([fo.status, remaining(fo.view)]).toEqual(["IN_PROGRESS", { "item-mug": 2 }]);
    // A cancelled parcel no longer carries the item: it can be dropped, and with it the fulfilment order.
    fo.moveShipment(fo.view.shipments[0]!.id, "CANCELLED", "", by(3));
    expect(fo.dropItem("item-mug", by(4))).toEqual([
      { kind: "release units", units: [{ productId: "prod-mug", variantId: "", locationId: "north-east", quantity: 3 }] },
    ]);
    expect([fo.status, fo.view.lines]).toEqual(["CANCELLED", []]);
  });

  it("when cancelled, then nothing remains to ship and a closed one cannot be cancelled", () => {
    const fo = fresh();
    fo.takeEvents();
    fo.cancel(by(5));
    expect([fo.status, remaining(fo.view), fo.view.updatedAt]).toEqual(["CANCELLED", { "item-mug": 0, "item-tee": 0 }, at(5)]);
    expect(fo.takeEvents()).toEqual([{ type: "FulfillmentOrderCancelled", fulfillmentOrderId: fo.id }]);
    expect(thrownReason(() => fo.cancel(by(6)))).toBe("FULFILLMENT_STATUS_FORBIDS");
    const closed = fresh();
    ship(closed, [
      ["line-mug", 3],
      ["line-tee", 1],
    ]);
    expect(thrownReason(() => closed.cancel(by(6)))).toBe("FULFILLMENT_STATUS_FORBIDS");
  });

  it("when held while part has shipped, then ON_HOLD, and released it is IN_PROGRESS again; its view is a copy", () => {
    const fo = fresh();
    ship(fo, [["line-mug", 1]]);
    fo.hold({ id: id(), reason: "OTHER", note: "" }, by(2));
    expect(fo.status).toBe("ON_HOLD");
    fo.release([], by(3));
    expect(fo.status).toBe("IN_PROGRESS");
    const view = fo.view;
    (view.lines[0] as { remaining: number }).remaining = 99;
    expect(fo.view.lines[0]!.remaining).toBe(2);
    const restored = FulfilmentOrder.restore(fo.view);
    restored.stored(7, at(20));
    expect([restored.view.version, restored.view.updatedAt, fo.view.version]).toEqual([7, at(20), 1]);
  });
});
