import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitByWeights, unitsShare } from "../../src/money/allocation.js";
import { lineTaxes, unitsRefund } from "../../src/money/refunds.js";
import { computeTotals } from "../../src/money/totals.js";
import { money } from "../../src/money/money.js";

const total = (parts: readonly bigint[]) => parts.reduce((a, b) => a + b, 0n);

describe("splitting by largest remainder", () => {
  it("gives the left-over cents to the largest remainders, the earlier on a tie", () => {
    expect(splitByWeights(100n, [1n, 1n, 1n])).toEqual([34n, 33n, 33n]);
    expect(splitByWeights(10n, [3n, 3n, 4n])).toEqual([3n, 3n, 4n]);
    expect(splitByWeights(7n, [1n, 2n])).toEqual([2n, 5n]);
    // 11 by 1:2:3 is 1.83, 3.67, 5.5: the floors 1, 3, 5 leave 2 cents, for .83 and .67.
    expect(splitByWeights(11n, [1n, 2n, 3n])).toEqual([2n, 4n, 5n]);
    expect(splitByWeights(-11n, [1n, 2n, 3n])).toEqual([-2n, -4n, -5n]);
    expect(splitByWeights(5n, [0n, 2n, 0n])).toEqual([0n, 5n, 0n]);
    expect(splitByWeights(5n, [0n, 0n])).toEqual([5n, 0n]);
    expect(splitByWeights(0n, [])).toEqual([]);
  });

  it("refuses what has no exact split", () => {
    expect(() => splitByWeights(5n, [])).toThrow(RangeError);
    expect(() => splitByWeights(5n, [1n, -1n])).toThrow(RangeError);
  });

  it("always adds up exactly, each part within one cent of its exact share", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 1, maxLength: 30 }),
        (amount, weights) => {
          const parts = splitByWeights(amount, weights);
          expect(total(parts)).toBe(amount);
          const weightSum = total(weights);
          if (weightSum === 0n) return;
          parts.forEach((part, i) => {
            const exactTimesSum = amount * weights[i]!;
            const diff = part * weightSum - exactTimesSum;
            expect(diff < 0n ? -diff : diff).toBeLessThan(weightSum);
          });
        },
      ),
    );
  });
});

describe("a line's amount over its units", () => {
  it("puts the extra cents on the first units", () => {
    // 10 over 3 units: 4, 3, 3.
    expect(unitsShare(10n, 3, 0, 1)).toBe(4n);
    expect(unitsShare(10n, 3, 1, 3)).toBe(6n);
    expect(unitsShare(10n, 3, 0, 3)).toBe(10n);
    expect(unitsShare(10n, 3, 2, 2)).toBe(0n);
    expect(unitsShare(-10n, 3, 0, 1)).toBe(-4n);
    expect(unitsShare(11n, 3, 1, 2)).toBe(4n);
  });

  it("refuses units outside the line", () => {
    expect(() => unitsShare(10n, 0, 0, 0)).toThrow(RangeError);
    expect(() => unitsShare(10n, 3, 2, 4)).toThrow(RangeError);
    expect(() => unitsShare(10n, 3, -1, 1)).toThrow(RangeError);
    expect(() => unitsShare(10n, 3, 2, 1)).toThrow(RangeError);
    expect(() => unitsShare(10n, 1.5, 0, 1)).toThrow(RangeError);
  });
});

describe("refunds by unit", () => {
  it("three units at 10.00 with 8% tax: return 1, then 2, and the refunds are what the line cost", () => {
    const totals = computeTotals([{ unitPrice: money("USD", 1000n), quantity: 3 }], {
      currency: "USD",
      taxRateBps: 800,
      freeShippingThresholdMinor: 0n,
      flatShippingMinor: 0n,
    });
    const [tax] = lineTaxes([{ unitPriceMinor: 1000n, quantity: 3 }], totals.tax.amountMinor);
    expect(tax).toBe(240n);
    const first = unitsRefund({ unitPriceMinor: 1000n, quantity: 3, refundedQuantity: 0 }, tax!, 1);
    const rest = unitsRefund({ unitPriceMinor: 1000n, quantity: 3, refundedQuantity: 1 }, tax!, 2);
    expect(first).toEqual({ amountMinor: 1080n, taxMinor: 80n });
    expect(rest).toEqual({ amountMinor: 2160n, taxMinor: 160n });
    expect(first.amountMinor + rest.amountMinor).toBe(totals.subtotal.amountMinor + totals.tax.amountMinor);
  });

  it("whatever the prices, quantities, tax rate and return sequence, the refunds add up to what was paid, never more, never negative", () => {
    const line = fc.record({ unitPriceMinor: fc.bigInt({ min: 0n, max: 10n ** 8n }), quantity: fc.integer({ min: 1, max: 999 }) });
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (lines, taxRateBps, picks) => {
          const totals = computeTotals(
            lines.map((each) => ({ unitPrice: money("EUR", each.unitPriceMinor), quantity: each.quantity })),
            { currency: "EUR", taxRateBps, freeShippingThresholdMinor: 0n, flatShippingMinor: 0n },
          );
          const paid = totals.subtotal.amountMinor + totals.tax.amountMinor;
          const taxes = lineTaxes(lines, totals.tax.amountMinor);
          expect(total(taxes)).toBe(totals.tax.amountMinor);
          const refunded = lines.map(() => 0);
          let sum = 0n;
          const give = (i: number, count: number) => {
            const each = lines[i]!;
            const refund = unitsRefund({ ...each, refundedQuantity: refunded[i]! }, taxes[i]!, count);
            expect(refund.amountMinor).toBeGreaterThanOrEqual(0n);
            expect(refund.taxMinor).toBeGreaterThanOrEqual(0n);
            refunded[i] = refunded[i]! + count;
            sum += refund.amountMinor;
            expect(sum).toBeLessThanOrEqual(paid);
          };
          // Random partial returns, then whatever is left: the sum is exactly what was paid.
          for (const pick of picks) {
            const i = pick % lines.length;
            const left = lines[i]!.quantity - refunded[i]!;
            if (left > 0) give(i, 1 + (pick % left));
          }
          lines.forEach((each, i) => {
            if (each.quantity > refunded[i]!) give(i, each.quantity - refunded[i]!);
          });
          expect(sum).toBe(paid);
        },
      ),
    );
  });
});

describe("what the splits refuse, and ties", () => {
  it("says why", () => {
    expect(() => splitByWeights(5n, [1n, -1n])).toThrow("weights must not be negative");
    expect(() => splitByWeights(5n, [])).toThrow("cannot split a non-zero amount over nothing");
    expect(() => unitsShare(10n, 0, 0, 0)).toThrow("quantity must be a positive integer");
    expect(() => unitsShare(10n, 1.5, 0, 1)).toThrow("quantity must be a positive integer");
    expect(() => unitsShare(10n, -2, 0, 0)).toThrow("quantity must be a positive integer");
    expect(() => unitsShare(10n, 3, 0.5, 1)).toThrow("units 0.5..1 are not within a line of 3");
    expect(() => unitsShare(10n, 3, 0, 1.5)).toThrow("units 0..1.5 are not within a line of 3");
    expect(() => unitsShare(10n, 3, 2, 4)).toThrow("units 2..4 are not within a line of 3");
  });

  it("gives tied remainders' cents to the earlier parts, however many tie", () => {
    expect(splitByWeights(2n, [1n, 1n, 1n])).toEqual([1n, 1n, 0n]);
    expect(splitByWeights(1n, [1n, 1n, 1n, 1n])).toEqual([1n, 0n, 0n, 0n]);
    expect(splitByWeights(3n, [1n, 1n, 1n, 1n, 1n])).toEqual([1n, 1n, 1n, 0n, 0n]);
    expect(splitByWeights(-2n, [1n, 1n, 1n])).toEqual([-1n, -1n, 0n]);
    // A larger remainder wins over an earlier one.
    expect(splitByWeights(1n, [1n, 2n])).toEqual([0n, 1n]);
    expect(splitByWeights(1n, [2n, 1n])).toEqual([1n, 0n]);
  });
});
