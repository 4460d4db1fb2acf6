import { describe, expect, it } from "vitest";
import type { CartLineFields } from "../../src/cart/domain/cart-data.js";
import { mergeLines, type MergeMode } from "../../src/cart/domain/merge.js";

const line = (productId: string, quantity: number, name = productId, variantId = ""): CartLineFields => ({
  productId,
  variantId,
  quantity,
  sku: productId,
  name,
  imageUrl: "",
  unitPriceMinor: 100n,
  sellerId: "",
  variantAttributes: {},
});
const quantities = (lines: CartLineFields[]) => Object.fromEntries(lines.map((l) => [`${l.productId}/${l.variantId}`, l.quantity]));

describe("mergeLines", () => {
  const mine = [line("A", 3, "mine")];
  const guest = [line("A", 2, "guest"), line("B", 1)];

  it.each<[MergeMode, Record<string, number>]>([
    ["MERGE_MAX", { "A/": 3, "B/": 1 }],
    ["SUM", { "A/": 5, "B/": 1 }],
    ["REPLACE_WITH_GUEST", { "A/": 2, "B/": 1 }],
    ["KEEP_EXISTING", { "A/": 3 }],
  ])("when guest {A:2, B:1} merges into {A:3} with %s, then %j", (mode, expected) => {
    expect(quantities(mergeLines(mine, guest, mode, 99))).toEqual(expected);
  });

  it("when MERGE_MAX keeps a line, then it keeps that line's snapshot (the existing one on a tie); SUM keeps the existing one", () => {
    expect(mergeLines(mine, [line("A", 4, "guest")], "MERGE_MAX", 99)[0]?.name).toBe("guest");
    expect(mergeLines(mine, [line("A", 3, "guest")], "MERGE_MAX", 99)[0]?.name).toBe("mine");
    expect(mergeLines(mine, [line("A", 4, "guest")], "SUM", 99)[0]?.name).toBe("mine");
  });

  it("when a product comes in two variants, then they are two lines; quantities stop at the cart's maximum", () => {
    const merged = mergeLines([line("A", 60, "x", "red")], [line("A", 50, "x", "blue"), line("A", 50, "x", "red")], "SUM", 99);
    expect(quantities(merged)).toEqual({ "A/red": 99, "A/blue": 50 });
    expect(quantities(mergeLines([], [line("C", 120)], "REPLACE_WITH_GUEST", 99))).toEqual({ "C/": 99 });
  });
});
