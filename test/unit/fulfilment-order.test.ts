import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FulfilmentOrder, MAX_HOLDS, MAX_SHIPMENTS } from "../../src/fulfilment/domain/fulfilment-order.js";
import {
  FULFILMENT_ALLOWED_IN,
  FULFILMENT_STATUSES,
  FULFILMENT_TRANSITIONS,
  SHIPMENT_TRANSITIONS,
  transitionFulfilment,
} from "../../src/fulfilment/domain/fulfilment-status.js";
import { DomainError } from "../../src/platform/errors/domain-errors.js";
import { thrownReason } from "../support/errors.js";
import { at, by, fresh, id, lines, remaining, ship } from "../support/fulfilment-fixtures.js";

describe("the fulfilment status table", () => {
  /** Written out independently of the implementation, as docs/api.md states it. */
  const expected: Record<string, string[]> = {
    OPEN: ["SCHEDULED", "ON_HOLD", "IN_PROGRESS", "CLOSED", "CANCELLED"],
    SCHEDULED: ["OPEN", "ON_HOLD", "CANCELLED"],
    ON_HOLD: ["OPEN", "SCHEDULED", "IN_PROGRESS", "CANCELLED"],
    IN_PROGRESS: ["OPEN", "SCHEDULED", "ON_HOLD", "CLOSED", "INCOMPLETE", "CANCELLED"],
    CLOSED: ["OPEN", "INCOMPLETE", "IN_PROGRESS"],
    INCOMPLETE: ["CLOSED", "IN_PROGRESS"],
    CANCELLED: [],
  };

  it.each(FULFILMENT_STATUSES.flatMap((from) => FULFILMENT_STATUSES.map((to) => [from, to] as const)))(
    "%s -> %s is legal exactly when the table says so",
    (from, to) => {
      const legal = expected[from]!.includes(to);
      expect([...FULFILMENT_TRANSITIONS[from]].sort()).toEqual([...expected[from]!].sort());
      if (legal) expect(transitionFulfilment(from, to)).toBe(to);
      else expect(thrownReason(() => transitionFulfilment(from, to))).toBe("ILLEGAL_FULFILLMENT_TRANSITION");
    },
  );

  it("ships only when open or in progress; moves, splits and merges only before anything shipped; a shipment cannot go back", () => {
    expect(FULFILMENT_ALLOWED_IN.ship).toEqual(["OPEN", "IN_PROGRESS"]);
    for (const action of ["move", "split", "merge"] as const)
      expect(FULFILMENT_ALLOWED_IN[action]).toEqual(["OPEN", "SCHEDULED", "ON_HOLD"]);
    expect(SHIPMENT_TRANSITIONS.DELIVERED).toEqual([]);
    expect(SHIPMENT_TRANSITIONS.IN_TRANSIT).not.toContain("CANCELLED");
  });
});

describe("a fulfilment order", () => {
  it("when created, then OPEN with every unit remaining; a card order's starts ON_HOLD until its payment is released", () => {
    const open = fresh();
    expect(open.status).toBe("OPEN");
    expect(remaining(open.view)).toEqual({ "item-mug": 3, "item-tee": 1 });
    expect(open.takeEvents().map((event) => event.type)).toEqual(["FulfillmentOrderCreated"]);
    const card = fresh("AWAITING_PAYMENT");
    expect(card.status).toBe("ON_HOLD");
    expect(thrownReason(() => ship(card, [["line-mug", 1]]))).toBe("FULFILLMENT_STATUS_FORBIDS");
    card.releasePaymentHold(by(2, "system"));
    expect(card.status).toBe("OPEN");
    expect(card.view.holds[0]).toMatchObject({ reason: "AWAITING_PAYMENT", releasedAt: at(2), releasedBy: "system" });
  });

  it("when 1 of 3 units of a line is held, then a new fulfilment order holds that 1 ON_HOLD and the rest stays OPEN", () => {
    const fo = fresh();
    const held = fo.hold({ id: id(), reason: "HIGH_RISK_OF_FRAUD", note: "check the card" }, by(1), {
      lines: lines([["line-mug", 1]]),
      newId: "fo-held",
      newLineId: id,
    });
    expect(held.id).toBe("fo-held");
    expect([held.status, remaining(held.view)]).toEqual(["ON_HOLD", { "item-mug": 1 }]);
    expect([fo.status, remaining(fo.view)]).toEqual(["OPEN", { "item-mug": 2, "item-tee": 1 }]);
    expect(held.view.holds).toMatchObject([{ handle: "high-risk-of-fraud", note: "check the card", heldBy: "ops-1" }]);
  });

  it("when it has two holds, then releasing one leaves it ON_HOLD and releasing the other opens it", () => {
    const fo = fresh();
    fo.hold({ id: id(), reason: "INCORRECT_ADDRESS", note: "" }, by(1));
    fo.hold({ id: id(), reason: "OTHER", note: "", handle: "manual" }, by(2));
    fo.release(["incorrect-address"], by(3));
    expect(fo.status).toBe("ON_HOLD");
    expect(thrownReason(() => fo.release(["incorrect-address"], by(3)))).toBe("HOLD_ALREADY_RELEASED");
    fo.release(["manual"], by(4));
    expect(fo.status).toBe("OPEN");
    expect(thrownReason(() => fo.release([], by(5)))).toBe("FULFILLMENT_STATUS_FORBIDS");
    expect(thrownReason(() => fo.hold({ id: id(), reason: "OTHER", note: "", handle: "manual" }, by(6)))).toBe("HOLD_HANDLE_TAKEN");
  });

  it("when part ships, then IN_PROGRESS with the rest remaining and its stock committed; when all ships, CLOSED; a failed shipment makes it INCOMPLETE", () => {
    const fo = fresh();
    expect(ship(fo, [["line-mug", 2]])).toEqual([
      { kind: "commit units", units: [{ productId: "prod-mug", variantId: "", locationId: "north-east", quantity: 2 }] },
    ]);
    expect([fo.status, remaining(fo.view)]).toEqual(["IN_PROGRESS", { "item-mug": 1, "item-tee": 1 }]);
    expect(thrownReason(() => ship(fo, [["line-mug", 2]]))).toBe("NOT_ENOUGH_REMAINING");
    ship(
      fo,
      [
        ["line-mug", 1],
        ["line-tee", 1],
      ],
      true,
    );
    expect(fo.status).toBe("CLOSED");
    const [first, second] = fo.view.shipments;
    expect([first!.status, second!.status]).toEqual(["READY", "IN_TRANSIT"]);
    fo.moveShipment(second!.id, "FAILED", "address unknown", by(5));
    expect(fo.status).toBe("INCOMPLETE");
    fo.moveShipment(second!.id, "DELIVERED", "", by(6));
    expect(fo.status).toBe("CLOSED");
  });

  it("when a READY shipment is cancelled, then its units remain again and Inventory holds them again; one handed over cannot be", () => {
    const fo = fresh();
    ship(fo, [["line-tee", 1]]);
    const [shipment] = fo.view.shipments;
    expect(fo.moveShipment(shipment!.id, "CANCELLED", "", by(2))).toEqual([
      { kind: "uncommit units", units: [{ productId: "prod-tee", variantId: "", locationId: "north-east", quantity: 1 }] },
    ]);
    expect([fo.status, remaining(fo.view)]).toEqual(["OPEN", { "item-mug": 3, "item-tee": 1 }]);
    ship(fo, [["line-tee", 1]], true);
    expect(thrownReason(() => fo.moveShipment(fo.view.shipments[1]!.id, "CANCELLED", "", by(3)))).toBe("ILLEGAL_SHIPMENT_TRANSITION");
  });

  it("when it moves, then Inventory moves each line's units; once anything shipped it cannot move, split or merge", () => {
    const fo = fresh();
    expect(fo.moveTo("north-west", by(1))).toEqual([
      {
        kind: "move units",
        units: [
          { productId: "prod-mug", variantId: "", locationId: "north-east", quantity: 3 },
          { productId: "prod-tee", variantId: "", locationId: "north-east", quantity: 1 },
        ],
        toLocationId: "north-west",
      },
    ]);
    expect(fo.view.locationId).toBe("north-west");
    expect(thrownReason(() => fo.moveTo("north-west", by(2)))).toBe("SAME_LOCATION");
    ship(fo, [["line-mug", 1]]);
    expect(thrownReason(() => fo.moveTo("north-east", by(3)))).toBe("FULFILLMENT_STATUS_FORBIDS");
    expect(thrownReason(() => fo.split(lines([["line-mug", 1]]), "x", id, by(3)))).toBe("FULFILLMENT_STATUS_FORBIDS");
  });

  it("when two of one order, seller and location merge, then one holds all the units and holds, and the other is cancelled", () => {
    const fo = fresh();
    const part = fo.split(lines([["line-mug", 2]]), "fo-part", id, by(1));
    part.hold({ id: id(), reason: "OTHER", note: "" }, by(2));
    fo.merge(part, by(3));
    expect(remaining(fo.view)).toEqual({ "item-mug": 3, "item-tee": 1 });
    expect([fo.status, part.status]).toEqual(["ON_HOLD", "CANCELLED"]);
    const elsewhere = fresh();
    elsewhere.moveTo("north-west", by(4));
    expect(thrownReason(() => fo.merge(elsewhere, by(5)))).toBe("FULFILLMENT_ORDERS_DIFFER");
  });

  it("when scheduled for later, then SCHEDULED and not shippable; at its time it ships", () => {
    const fo = fresh();
    fo.schedule(at(30), by(1));
    expect(fo.status).toBe("SCHEDULED");
    expect(thrownReason(() => ship(fo, [["line-mug", 1]], false, 10))).toBe("FULFILLMENT_STATUS_FORBIDS");
    ship(fo, [["line-mug", 1]], false, 31);
    expect(fo.status).toBe("IN_PROGRESS");
  });

  it("when it has had 20 holds or 50 shipments, then one more is refused, so its row stays small", () => {
    const held = fresh();
    for (let n = 0; n < MAX_HOLDS; n++) {
      held.hold({ id: id(), reason: "OTHER", note: "" }, by(1));
      held.release([], by(1));
    }
    expect(thrownReason(() => held.hold({ id: id(), reason: "OTHER", note: "" }, by(2)))).toBe("TOO_MANY_HOLDS");
    const mug = { id: "line-mug", orderItemId: "item-mug", productId: "prod-mug", variantId: "", quantity: 60 };
    const shipped = FulfilmentOrder.create({ id: id(), orderId: "o", sellerId: "s", locationId: "l", lines: [mug] }, by());
    for (let n = 0; n < MAX_SHIPMENTS; n++) ship(shipped, [["line-mug", 1]]);
    expect(thrownReason(() => ship(shipped, [["line-mug", 1]]))).toBe("TOO_MANY_SHIPMENTS");
    expect(remaining(shipped.view)).toEqual({ "item-mug": 10 });
  });

  it("when a split would take everything, then it is refused: hold or move the whole one instead", () => {
    expect(
      thrownReason(() =>
        fresh().split(
          lines([
            ["line-mug", 3],
            ["line-tee", 1],
          ]),
          "x",
          id,
          by(1),
        ),
      ),
    ).toBe("NOTHING_LEFT_BEHIND");
  });
});

describe("units are conserved whatever staff do (property)", () => {
  type Step =
    | { kind: "hold"; fo: number; line: number; quantity: number }
    | { kind: "release"; fo: number }
    | { kind: "split"; fo: number; line: number; quantity: number }
    | { kind: "move"; fo: number }
    | { kind: "merge"; fo: number; other: number }
    | { kind: "ship"; fo: number; line: number; quantity: number }
    | { kind: "cancel shipment"; fo: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("hold" as const), fo: fc.nat(9), line: fc.nat(3), quantity: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant("release" as const), fo: fc.nat(9) }),
    fc.record({ kind: fc.constant("split" as const), fo: fc.nat(9), line: fc.nat(3), quantity: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant("move" as const), fo: fc.nat(9) }),
    fc.record({ kind: fc.constant("merge" as const), fo: fc.nat(9), other: fc.nat(9) }),
    fc.record({ kind: fc.constant("ship" as const), fo: fc.nat(9), line: fc.nat(3), quantity: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant("cancel shipment" as const), fo: fc.nat(9) }),
  );

  /** Per item: what remains to ship plus what live shipments hold, over every fulfilment order of the order. */
  function accounted(orders: FulfilmentOrder[]): Record<string, number> {
    const units: Record<string, number> = {};
    for (const { view } of orders) {
      for (const line of view.lines) units[line.orderItemId] = (units[line.orderItemId] ?? 0) + line.remaining;
      for (const shipment of view.shipments.filter((s) => s.status !== "CANCELLED")) {
        for (const line of shipment.lines) units[line.orderItemId] = (units[line.orderItemId] ?? 0) + line.quantity;
      }
    }
    return units;
  }

  it("when hold, release, split, move, merge, ship and cancel a shipment run in any order, then remaining plus shipped equals ordered after every step", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const orders = [fresh()];
        const ordered = accounted(orders);
        let minute = 1;
        for (const s of steps) {
          const fo = orders[s.fo % orders.length]!;
          const line = "line" in s ? fo.view.lines[s.line % Math.max(fo.view.lines.length, 1)] : undefined;
          const before = orders.map((order) => order.view);
          const count = orders.length;
          try {
            if (s.kind === "hold") {
              const part = line ? { lines: lines([[line.id, s.quantity]]), newId: id(), newLineId: id } : undefined;
              const held = fo.hold({ id: id(), reason: "OTHER", note: "" }, by(minute), part);
              if (held !== fo) orders.push(held);
            } else if (s.kind === "release") fo.release([], by(minute));
            else if (s.kind === "split" && line) orders.push(fo.split(lines([[line.id, s.quantity]]), id(), id, by(minute)));
            else if (s.kind === "move") fo.moveTo(fo.view.locationId === "north-east" ? "north-west" : "north-east", by(minute));
            else if (s.kind === "merge") fo.merge(orders[s.other % orders.length]!, by(minute));
            else if (s.kind === "ship" && line) ship(fo, [[line.id, s.quantity]], s.quantity % 2 === 0, minute);
            else if (s.kind === "cancel shipment") {
              const ready = fo.view.shipments.find((shipment) => shipment.status === "READY");
              if (ready) fo.moveShipment(ready.id, "CANCELLED", "", by(minute));
            }
          } catch (error) {
            // Refusals are part of the game: they must be domain errors, and change nothing.
            if (!(error instanceof DomainError)) throw error;
            expect(orders.slice(0, count).map((order) => order.view)).toEqual(before);
            expect(orders).toHaveLength(count);
          }
          minute++;
          expect(accounted(orders)).toEqual(ordered);
          for (const { view } of orders) for (const l of view.lines) expect(l.remaining).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
