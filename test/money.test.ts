import { describe, expect, it } from "vitest";
import { add, CurrencyMismatchError, money, percentOf } from "../src/money/money.js";
import { computeTotals, type PricingPolicy } from "../src/money/totals.js";

const usd = (minor: number) => money("USD", minor);
const policy: PricingPolicy = { currency: "USD", taxRateBps: 800, freeShippingThresholdMinor: 5000n, flatShippingMinor: 599n };

describe("percentOf rounds half up to the minor unit", () => {
  it.each([
    [1000, 800, 80], // exact
    [1, 800, 0], // 0.08 -> 0
    [6, 800, 0], // 0.48 -> 0
    [7, 800, 1], // 0.56 -> 1
    [625, 800, 50], // 50.0 exact
    [1250, 4, 1], // 0.5 -> 1: half goes up
    [1249, 4, 0], // 0.4996 -> 0
    [-1250, 4, -1], // half away from zero for credits
    [0, 800, 0],
  ])("when %i minor units are taxed at %i bps, then the tax is %i", (amount, bps, expected) => {
    expect(percentOf(usd(amount), bps)).toEqual(usd(expected));
  });

  it("when amounts exceed 2^53, then no precision is lost", () => {
    expect(percentOf(money("USD", 90_071_992_547_409_930n), 800).amountMinor).toBe(7_205_759_403_792_794n);
  });
});

describe("computeTotals", () => {
  it.each([
    { name: "below the free-shipping threshold pays flat shipping", lines: [[1250, 2]], subtotal: 2500, tax: 200, shipping: 599, total: 3299 },
    { name: "at the threshold ships free", lines: [[2500, 2]], subtotal: 5000, tax: 400, shipping: 0, total: 5400 },
    { name: "just below the threshold pays shipping", lines: [[4999, 1]], subtotal: 4999, tax: 400, shipping: 599, total: 5998 },
    { name: "taxes the subtotal once, not each line", lines: [[1, 7], [6, 1]], subtotal: 13, tax: 1, shipping: 599, total: 613 },
    { name: "an empty basket costs nothing", lines: [], subtotal: 0, tax: 0, shipping: 0, total: 0 },
  ])("when the basket $name, then totals add up", ({ lines, subtotal, tax, shipping, total }) => {
    const totals = computeTotals(lines.map(([price, quantity]) => ({ unitPrice: usd(price!), quantity: quantity! })), policy);
    expect(totals).toEqual({ subtotal: usd(subtotal), tax: usd(tax), shipping: usd(shipping), total: usd(total) });
  });

  it("when currencies differ, then adding refuses", () => {
    expect(() => add(usd(1), money("EUR", 1))).toThrow(CurrencyMismatchError);
  });
});
