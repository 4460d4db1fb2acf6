import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  amountRefund,
  balanceOf,
  NothingToRefundError,
  refundableMinor,
  RefundTooLargeError,
  splitBreakdown,
  unitsRefundPlan,
  wholeOrderRefund,
  type MoneyLine,
  type MoneyState,
} from "../../src/ledger/domain/ledger.js";
import type { RefundBreakdown } from "../../src/ledger/domain/ledger-data.js";
import { captureParts, refundParts, type PaymentTrail } from "../../src/ledger/domain/payment-trail.js";
import { InvalidArgumentError } from "../../src/platform/errors/domain-errors.js";
import { thrownReason } from "../support/errors.js";

/** Three notebooks at 10.00 and a 5.00 pen, 8% tax (2.80 on 35.00), 5.99 shipping: 43.79, all captured. */
const LINES: MoneyLine[] = [
  { id: "notebook", unitPriceMinor: 1000n, quantity: 3, refundedQuantity: 0, taxMinor: 240n },
  { id: "pen", unitPriceMinor: 500n, quantity: 1, refundedQuantity: 0, taxMinor: 40n },
];
const PAID: MoneyState = {
  totalMinor: 4379n,
  shippingMinor: 599n,
  taxMinor: 280n,
  creditedMinor: 0n,
  authorizedMinor: 4379n,
  capturedMinor: 4379n,
  refundedMinor: 0n,
  refundedShippingMinor: 0n,
  voidedMinor: 0n,
  paymentTrail: { authorizations: [], captures: [] },
};
const sumOf = (lines: readonly { amountMinor: bigint }[]) => lines.reduce((sum, line) => sum + line.amountMinor, 0n);

describe("the balance", () => {
  it("is the current total less net captured: what the customer owes, or (negative) the shop", () => {
    expect(balanceOf(PAID)).toEqual({
      authorizedMinor: 4379n,
      capturedMinor: 4379n,
      refundedMinor: 0n,
      currentTotalMinor: 4379n,
      outstandingMinor: 0n,
      voidedMinor: 0n,
      dueMinor: 0n,
    });
    expect(balanceOf({ ...PAID, capturedMinor: 0n }).outstandingMinor).toBe(4379n);
    const held = { authorizations: [{ id: "a", amountMinor: "5000", capturedMinor: "0", voidedMinor: "621" }], captures: [] };
    expect(balanceOf({ ...PAID, capturedMinor: 0n, voidedMinor: 621n, paymentTrail: held })).toMatchObject({
      outstandingMinor: 4379n,
      voidedMinor: 621n,
      dueMinor: 0n,
    });
    expect(balanceOf({ ...PAID, creditedMinor: 500n }).outstandingMinor).toBe(-500n);
    expect(balanceOf({ ...PAID, creditedMinor: 500n, refundedMinor: 500n })).toMatchObject({
      currentTotalMinor: 3879n,
      outstandingMinor: 0n,
    });
    expect(refundableMinor({ ...PAID, refundedMinor: 79n })).toBe(4300n);
  });
});

describe("the whole-order refund", () => {
  it("gives back every unit at its price and tax share and the shipping, exactly what was captured", () => {
    const plan = wholeOrderRefund(PAID, LINES);
    expect(plan).toMatchObject({ cause: "ORDER", amountMinor: 4379n, shippingMinor: 599n, taxMinor: 280n, creditMinor: 4379n });
    expect(plan.lines).toEqual([
      { itemId: "notebook", quantity: 3, amountMinor: 3240n, taxMinor: 240n },
      { itemId: "pen", quantity: 1, amountMinor: 540n, taxMinor: 40n },
    ]);
    expect(plan.breakdown).toEqual({
      lines: [
        { itemId: "notebook", quantity: 3, amountMinor: "3240", taxMinor: "240" },
        { itemId: "pen", quantity: 1, amountMinor: "540", taxMinor: "40" },
      ],
      shippingMinor: "599",
      taxMinor: "280",
      otherMinor: "0",
    });
  });

  it("after units and goodwill went back, gives back only what is left, netting the goodwill out", () => {
    const state = { ...PAID, refundedMinor: 1080n + 300n, creditedMinor: 1080n + 300n };
    const lines = [{ ...LINES[0]!, refundedQuantity: 1 }, LINES[1]!];
    const plan = wholeOrderRefund(state, lines);
    expect(plan.amountMinor).toBe(4379n - 1380n);
    expect(plan.lines[0]).toEqual({ itemId: "notebook", quantity: 2, amountMinor: 2160n, taxMinor: 160n });
    expect(plan.breakdown.otherMinor).toBe("-300");
    expect(plan.creditMinor).toBe(4379n - 1380n);
  });
});

describe("refunds of units", () => {
  it("give the next units of each line at their price and tax share, and lower the order's price by as much", () => {
    const plan = unitsRefundPlan("o", PAID, LINES, [{ itemId: "notebook", quantity: 2 }], "RETURN");
    expect(plan).toMatchObject({ cause: "RETURN", amountMinor: 2160n, taxMinor: 160n, creditMinor: 2160n, shippingMinor: 0n });
    expect(plan.breakdown).toMatchObject({ otherMinor: "0", shippingMinor: "0", taxMinor: "160" });
  });

  it("give back no more than is left of the capture, and nothing for an unpaid order, while the price still falls by the units' worth", () => {
    const partly = unitsRefundPlan("o", { ...PAID, refundedMinor: 4000n }, LINES, [{ itemId: "pen", quantity: 1 }], "CLAIM");
    expect(partly).toMatchObject({ amountMinor: 379n, creditMinor: 540n });
    expect(partly.breakdown.otherMinor).toBe("-161");
    const unpaid = unitsRefundPlan("o", { ...PAID, capturedMinor: 0n }, LINES, [{ itemId: "pen", quantity: 1 }], "CLAIM");
    expect(unpaid).toMatchObject({ amountMinor: 0n, creditMinor: 540n });
  });

  it("refuse units a line no longer has to give", () => {
    const lines = [{ ...LINES[0]!, refundedQuantity: 2 }];
    expect(() => unitsRefundPlan("o", PAID, lines, [{ itemId: "notebook", quantity: 2 }], "RETURN")).toThrow(NothingToRefundError);
    expect(() => unitsRefundPlan("o", PAID, LINES, [{ itemId: "nope", quantity: 1 }], "RETURN")).toThrow(/no line nope/);
    // Two picks of one line count together.
    const picks = [
      { itemId: "notebook", quantity: 2 },
      { itemId: "notebook", quantity: 2 },
    ];
    expect(() => unitsRefundPlan("o", PAID, LINES, picks, "RETURN")).toThrow(NothingToRefundError);
  });

  it("whatever the returns and goodwill, in any order: never negative, never above captured, and the order never owes because of them", () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant("units" as const), line: fc.nat(1), quantity: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant("goodwill" as const), amount: fc.bigInt({ min: 1n, max: 2000n }) }),
      fc.record({ kind: fc.constant("shipping" as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        let state = PAID;
        const lines = LINES.map((line) => ({ ...line }));
        for (const each of steps) {
          let plan;
          try {
            if (each.kind === "units") {
              const line = lines[each.line]!;
              plan = unitsRefundPlan("o", state, lines, [{ itemId: line.id, quantity: each.quantity }], "RETURN");
              line.refundedQuantity += each.quantity;
            } else if (each.kind === "goodwill") plan = amountRefund("o", state, "GOODWILL", each.amount);
            else plan = amountRefund("o", state, "SHIPPING", undefined);
          } catch (error) {
            expect(error instanceof NothingToRefundError || error instanceof RefundTooLargeError).toBe(true);
            continue;
          }
          expect(plan.amountMinor).toBeGreaterThanOrEqual(0n);
          expect(sumOf(plan.lines) + plan.shippingMinor + BigInt(plan.breakdown.otherMinor)).toBe(plan.amountMinor);
          state = {
            ...state,
            refundedMinor: state.refundedMinor + plan.amountMinor,
            creditedMinor: state.creditedMinor + plan.creditMinor,
            refundedShippingMinor: state.refundedShippingMinor + plan.shippingMinor,
          };
          expect(state.refundedMinor).toBeLessThanOrEqual(state.capturedMinor);
          expect(balanceOf(state).outstandingMinor).toBeLessThanOrEqual(0n);
        }
        const end = wholeOrderRefund(state, lines);
        expect(state.refundedMinor + end.amountMinor).toBe(state.capturedMinor);
        expect(
          balanceOf({ ...state, refundedMinor: state.capturedMinor, creditedMinor: state.creditedMinor + end.creditMinor })
            .outstandingMinor,
        ).toBe(0n);
      }),
    );
  });
});

describe("refunds not tied to items", () => {
  it("give back shipping not yet refunded, all of it unless told less", () => {
    expect(amountRefund("o", PAID, "SHIPPING", undefined)).toMatchObject({ amountMinor: 599n, shippingMinor: 599n, creditMinor: 599n });
    expect(amountRefund("o", PAID, "SHIPPING", 100n)).toMatchObject({ amountMinor: 100n, shippingMinor: 100n });
    expect(amountRefund("o", PAID, "SHIPPING", 100n).breakdown).toMatchObject({ shippingMinor: "100", otherMinor: "0" });
    expect(thrownReason(() => amountRefund("o", PAID, "SHIPPING", 600n))).toBe("REFUND_EXCEEDS_CAPTURED");
    expect(thrownReason(() => amountRefund("o", { ...PAID, refundedShippingMinor: 599n }, "SHIPPING", undefined))).toBe(
      "NOTHING_TO_REFUND",
    );
    expect(thrownReason(() => amountRefund("o", { ...PAID, shippingMinor: 0n }, "SHIPPING", undefined))).toBe("NOTHING_TO_REFUND");
  });

  it("give goodwill up to what is left of the capture, never more, never nothing", () => {
    expect(amountRefund("o", PAID, "GOODWILL", 4379n)).toMatchObject({ amountMinor: 4379n, shippingMinor: 0n, creditMinor: 4379n });
    expect(amountRefund("o", PAID, "GOODWILL", 1n).breakdown).toMatchObject({ otherMinor: "1", shippingMinor: "0", lines: [] });
    const over = (() => {
      try {
        amountRefund("o", PAID, "GOODWILL", 4380n);
      } catch (error) {
        return error as RefundTooLargeError;
      }
    })();
    expect(over).toBeInstanceOf(RefundTooLargeError);
    expect(over!.message).toBe("cannot refund 4380: at most 4379 (captured less already refunded)");
    expect(() => amountRefund("o", PAID, "GOODWILL", undefined)).toThrow(InvalidArgumentError);
    expect(() => amountRefund("o", PAID, "GOODWILL", 0n)).toThrow(InvalidArgumentError);
    expect(() => amountRefund("o", PAID, "GOODWILL", -5n)).toThrow(InvalidArgumentError);
    expect(thrownReason(() => amountRefund("o", { ...PAID, capturedMinor: 0n }, "GOODWILL", 5n))).toBe("NOTHING_TO_REFUND");
    expect(thrownReason(() => amountRefund("o", { ...PAID, refundedMinor: 4379n }, "GOODWILL", 5n))).toBe("NOTHING_TO_REFUND");
  });
});

describe("what the ledger's refusals say", () => {
  const refusal = (act: () => unknown) => {
    try {
      act();
    } catch (error) {
      const e = error as Error & { violations?: unknown; details?: unknown };
      return { message: e.message, violations: e.violations, details: e.details };
    }
    throw new Error("did not throw");
  };

  it("names what there is nothing of, and what the most is", () => {
    expect(refusal(() => amountRefund("o-1", { ...PAID, capturedMinor: 0n }, "GOODWILL", 5n))).toMatchObject({
      message: "nothing to refund: nothing captured is left to give back",
      violations: [{ type: "PAYMENT", subject: "orders/o-1", description: "nothing captured is left to give back" }],
    });
    expect(refusal(() => amountRefund("o-1", { ...PAID, refundedShippingMinor: 599n }, "SHIPPING", undefined)).message).toBe(
      "nothing to refund: shipping was free or is already refunded",
    );
    expect(refusal(() => amountRefund("o-1", PAID, "SHIPPING", 600n))).toMatchObject({
      message: "cannot refund 600: at most 599 (shipping not yet refunded)",
      violations: [{ type: "PAYMENT", subject: "orders/o-1", description: "at most 599 can be refunded (shipping not yet refunded)" }],
    });
    expect(refusal(() => amountRefund("o-1", PAID, "GOODWILL", undefined)).violations).toEqual([
      { field: "amount", description: "is required for a goodwill refund" },
    ]);
    expect(refusal(() => amountRefund("o-1", PAID, "GOODWILL", 0n)).violations).toEqual([
      { field: "amount", description: "must be above zero" },
    ]);
    const lines = [{ ...LINES[0]!, refundedQuantity: 2 }];
    expect(refusal(() => unitsRefundPlan("o-1", PAID, lines, [{ itemId: "notebook", quantity: 2 }], "RETURN")).message).toBe(
      "nothing to refund: item notebook has 1 units left to refund",
    );
  });

  it("when shipping was free, then goodwill is still given", () => {
    expect(amountRefund("o", { ...PAID, shippingMinor: 0n }, "GOODWILL", 100n).amountMinor).toBe(100n);
  });

  it("when a line was refunded in full and shipping in part, then the whole-order refund leaves them out", () => {
    const state = { ...PAID, refundedMinor: 540n + 200n, creditedMinor: 540n + 200n, refundedShippingMinor: 200n };
    const plan = wholeOrderRefund(state, [LINES[0]!, { ...LINES[1]!, refundedQuantity: 1 }]);
    expect(plan.lines.map((line) => line.itemId)).toEqual(["notebook"]);
    expect(plan).toMatchObject({ amountMinor: 4379n - 740n, shippingMinor: 399n, taxMinor: 240n });
    expect(plan.breakdown.otherMinor).toBe("0");
  });

  it("when exactly what is left of the capture is the units' worth, then all of it goes back", () => {
    const plan = unitsRefundPlan("o", { ...PAID, refundedMinor: 4379n - 540n }, LINES, [{ itemId: "pen", quantity: 1 }], "CLAIM");
    expect(plan).toMatchObject({ amountMinor: 540n, creditMinor: 540n });
    expect(plan.breakdown.otherMinor).toBe("0");
  });
});

describe("a refund over several captures", () => {
  const trail: PaymentTrail = {
    authorizations: [
      { id: "a1", amountMinor: "3000", capturedMinor: "3000", voidedMinor: "0" },
      { id: "a2", amountMinor: "1379", capturedMinor: "500", voidedMinor: "200" },
    ],
    captures: [
      { id: "c1", authorizationId: "a1", amountMinor: "3000", refundedMinor: "2500" },
      { id: "c2", authorizationId: "a1", amountMinor: "0", refundedMinor: "0" },
      { id: "c3", authorizationId: "a2", amountMinor: "500", refundedMinor: "0" },
    ],
  };

  it("when a refund is more than the oldest capture has left, then the rest comes from the next, and never more than captured", () => {
    expect(refundParts(trail, 700n)).toEqual([
      { id: "c1", amountMinor: 500n },
      { id: "c3", amountMinor: 200n },
    ]);
    expect(refundParts(trail, 300n)).toEqual([{ id: "c1", amountMinor: 300n }]);
    expect(() => refundParts(trail, 1001n)).toThrow("1001 is more than is captured: 1 short");
  });

  it("when a capture is more than the oldest authorization holds, then it takes what the next holds, released amounts left out", () => {
    expect(captureParts(trail, 679n)).toEqual([{ id: "a2", amountMinor: 679n }]);
    expect(() => captureParts(trail, 680n)).toThrow("680 is more than is authorized: 1 short");
  });

  const plan = unitsRefundPlan(
    "o",
    PAID,
    LINES,
    [
      { itemId: "notebook", quantity: 3 },
      { itemId: "pen", quantity: 1 },
    ],
    "RETURN",
  );

  it("when a refund is cut in two, then each part's rows add up to its amount, units named once, tax in proportion", () => {
    const [first, second] = splitBreakdown(plan.breakdown, [2000n, plan.amountMinor - 2000n]);
    expect(first).toEqual({
      lines: [{ itemId: "notebook", quantity: 3, amountMinor: "2000", taxMinor: "148" }],
      shippingMinor: "0",
      taxMinor: "148",
      otherMinor: "0",
    });
    expect(second!.lines).toEqual([
      { itemId: "notebook", quantity: 0, amountMinor: "1240", taxMinor: "92" },
      { itemId: "pen", quantity: 1, amountMinor: "540", taxMinor: "40" },
    ]);
  });

  it("when goodwill was netted out of a whole-order refund, then the first part carries it", () => {
    const whole = wholeOrderRefund({ ...PAID, refundedMinor: 1000n, creditedMinor: 1000n }, LINES);
    expect(whole.breakdown.otherMinor).toBe("-1000");
    const [first, second] = splitBreakdown(whole.breakdown, [1000n, 2379n]);
    expect(first!.otherMinor).toBe("-1000");
    expect(componentsOf(first!)).toBe(1000n);
    expect(componentsOf(second!)).toBe(2379n);
  });

  const componentsOf = (part: RefundBreakdown) =>
    part.lines.reduce((sum, line) => sum + BigInt(line.amountMinor), 0n) + BigInt(part.shippingMinor) + BigInt(part.otherMinor);

  it("whatever the parts, each adds up to its amount and together they give every line, its tax and its units exactly once", () => {
    const breakdown = fc.record({
      lines: fc.array(
        fc.record({
          quantity: fc.integer({ min: 1, max: 5 }),
          amount: fc.bigInt({ min: 0n, max: 50_000n }),
          taxRate: fc.integer({ min: 0, max: 30 }),
        }),
        { minLength: 0, maxLength: 6 },
      ),
      shipping: fc.bigInt({ min: 0n, max: 2000n }),
      other: fc.bigInt({ min: -3000n, max: 3000n }),
    });
    fc.assert(
      fc.property(breakdown, fc.array(fc.nat(1000), { minLength: 1, maxLength: 5 }), ({ lines, shipping, other }, weights) => {
        const given: RefundBreakdown = {
          lines: lines.map((line, i) => ({
            itemId: `i${i}`,
            quantity: line.quantity,
            amountMinor: String(line.amount),
            taxMinor: String((line.amount * BigInt(line.taxRate)) / 100n),
          })),
          shippingMinor: String(shipping),
          taxMinor: "0",
          otherMinor: String(other),
        };
        const total = componentsOf(given);
        fc.pre(total > 0n);
        // Parts: any positive amounts adding up to the total.
        const weightSum = BigInt(weights.reduce((a, b) => a + b + 1, 0));
        const amounts = weights.map((w) => (total * BigInt(w + 1)) / weightSum);
        amounts[0] = amounts[0]! + total - amounts.reduce((a, b) => a + b, 0n);
        fc.pre(other >= 0n || amounts[0] + other >= 0n);
        const parts = splitBreakdown(given, amounts);
        parts.forEach((part, i) => expect(componentsOf(part)).toBe(amounts[i]));
        for (const line of given.lines) {
          const pieces = parts.flatMap((part) => part.lines.filter((piece) => piece.itemId === line.itemId));
          expect(pieces.reduce((sum, piece) => sum + BigInt(piece.amountMinor), 0n)).toBe(BigInt(line.amountMinor));
          expect(pieces.reduce((sum, piece) => sum + BigInt(piece.taxMinor), 0n)).toBe(BigInt(line.taxMinor));
          expect(pieces.reduce((sum, piece) => sum + piece.quantity, 0)).toBe(line.quantity);
          for (const piece of pieces)
            expect(BigInt(piece.taxMinor) >= 0n && BigInt(piece.taxMinor) <= BigInt(piece.amountMinor)).toBe(true);
        }
        expect(parts.reduce((sum, part) => sum + BigInt(part.shippingMinor), 0n)).toBe(shipping);
      }),
      { numRuns: 500 },
    );
  });
});
