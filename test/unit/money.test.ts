import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { MoneySchema } from "../../gen/shop/money/v1/money_pb.js";
import { fromMoneyProto, linePricesToProto, toMoneyProto } from "../../src/money/money-proto.js";
import { add, CurrencyMismatchError, equals, money, percentOf, sum, times, zero } from "../../src/money/money.js";
import { computeTotals, lineTotal, storedLine, type PricingPolicy } from "../../src/money/totals.js";

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
    {
      name: "below the free-shipping threshold pays flat shipping",
      lines: [[1250, 2]],
      subtotal: 2500,
      tax: 200,
      shipping: 599,
      total: 3299,
    },
    { name: "at the threshold ships free", lines: [[2500, 2]], subtotal: 5000, tax: 400, shipping: 0, total: 5400 },
    { name: "just below the threshold pays shipping", lines: [[4999, 1]], subtotal: 4999, tax: 400, shipping: 599, total: 5998 },
    {
      name: "taxes the subtotal once, not each line",
      lines: [
        [1, 7],
        [6, 1],
      ],
      subtotal: 13,
      tax: 1,
      shipping: 599,
      total: 613,
    },
    { name: "an empty basket costs nothing", lines: [], subtotal: 0, tax: 0, shipping: 0, total: 0 },
  ])("when the basket $name, then totals add up", ({ lines, subtotal, tax, shipping, total }) => {
    const totals = computeTotals(
      lines.map(([price, quantity]) => ({ unitPrice: usd(price!), quantity: quantity! })),
      policy,
    );
    expect(totals).toEqual({ subtotal: usd(subtotal), tax: usd(tax), shipping: usd(shipping), total: usd(total) });
  });

  it("when currencies differ, then adding refuses", () => {
    expect(() => add(usd(1), money("EUR", 1))).toThrow(CurrencyMismatchError);
  });
});

describe("money arithmetic", () => {
  it("when amounts of one currency are summed, multiplied or compared, then only integer minor units are used", () => {
    expect(money("USD", 12)).toEqual({ currency: "USD", amountMinor: 12n });
    expect(zero("EUR")).toEqual(money("EUR", 0));
    expect(sum("USD", [usd(1), usd(2), usd(3)])).toEqual(usd(6));
    expect(sum("USD", [])).toEqual(usd(0));
    expect(times(usd(1250), 3)).toEqual(usd(3750));
    expect(equals(usd(5), usd(5))).toBe(true);
    expect(equals(usd(5), usd(6))).toBe(false);
    expect(equals(usd(5), money("EUR", 5))).toBe(false);
  });

  it("when currencies differ, then the error names both", () => {
    const error = (() => {
      try {
        add(usd(1), money("EUR", 1));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.name).toBe("CurrencyMismatchError");
    expect(error?.message).toBe("cannot combine USD with EUR");
  });

  it.each([
    [-1249, 4, 0], // -0.4996 rounds to zero, not to -1
    [-7, 800, -1], // -0.56 -> -1
    [-6, 800, 0], // -0.48 -> 0
    [-1000, 800, -80],
  ])("when a credit of %i minor units is taken %i bps of, then it rounds half away from zero to %i", (amount, bps, expected) => {
    expect(percentOf(usd(amount), bps)).toEqual(usd(expected));
  });
});

describe("money on the wire and in stored lines", () => {
  it("when money goes to and from the proto shape, then nothing changes", () => {
    expect(toMoneyProto(usd(599))).toEqual({ currencyCode: "USD", amountMinor: 599n });
    expect(fromMoneyProto(create(MoneySchema, { currencyCode: "EUR", amountMinor: 42n }))).toEqual(money("EUR", 42));
  });

  it("when a stored line is priced, then unit price and line total follow its quantity", () => {
    const line = storedLine("USD", { unitPriceMinor: 1250n, quantity: 3 });
    expect(line).toEqual({ unitPrice: usd(1250), quantity: 3 });
    expect(lineTotal(line)).toEqual(usd(3750));
    expect(linePricesToProto(line)).toEqual({
      unitPrice: { currencyCode: "USD", amountMinor: 1250n },
      lineTotal: { currencyCode: "USD", amountMinor: 3750n },
    });
  });
});
