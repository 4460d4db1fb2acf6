import { describe, expect, it } from "vitest";
import type { ProductInfo } from "../../src/catalog/catalog-ports.js";
import { lineKey, sellableOf } from "../../src/catalog/sellable.js";
import { money } from "../../src/money/money.js";

const plain: ProductInfo = {
  id: "prod-mug",
  sku: "MUG-001",
  name: "Stoneware mug",
  price: money("USD", 1250n),
  active: true,
  imageUrl: "https://img/mug.jpg",
  sellerId: "seller-north",
  variants: [],
};
const hoodie: ProductInfo = {
  ...plain,
  id: "prod-hoodie",
  sku: "HOOD-001",
  name: "Fleece hoodie",
  price: money("USD", 5400n),
  variants: [
    { id: "hoodie-s-grey", sku: "HOOD-001-S-GRY", attributes: { size: "S", colour: "grey" }, price: money("USD", 5400n), active: true },
    { id: "hoodie-xl-navy", sku: "HOOD-001-XL-NVY", attributes: { size: "XL", colour: "navy" }, price: money("USD", 5900n), active: false },
  ],
};

describe("what a line buys", () => {
  it("when a product has no variants, then the line buys the product itself, with its seller", () => {
    expect(sellableOf(plain, "")).toEqual({
      productId: "prod-mug",
      variantId: "",
      sellerId: "seller-north",
      sku: "MUG-001",
      name: "Stoneware mug",
      imageUrl: "https://img/mug.jpg",
      price: money("USD", 1250n),
      active: true,
      attributes: {},
    });
  });

  it("when a variant is chosen, then its sku, price, attributes and active flag are the line's", () => {
    expect(sellableOf(hoodie, "hoodie-xl-navy")).toEqual({
      productId: "prod-hoodie",
      variantId: "hoodie-xl-navy",
      sellerId: "seller-north",
      sku: "HOOD-001-XL-NVY",
      name: "Fleece hoodie",
      imageUrl: "https://img/mug.jpg",
      price: money("USD", 5900n),
      active: false,
      attributes: { size: "XL", colour: "navy" },
    });
    expect(sellableOf(hoodie, "hoodie-s-grey")).toMatchObject({ active: true, price: money("USD", 5400n) });
    expect(sellableOf({ ...hoodie, active: false }, "hoodie-s-grey")).toMatchObject({ active: false });
  });

  it("when the variant does not fit the product, then the problem says why and lists the variants", () => {
    expect(sellableOf(hoodie, "")).toEqual({
      problem: 'product "prod-hoodie" is sold by variant; choose one of: hoodie-s-grey (S, grey); hoodie-xl-navy (XL, navy)',
    });
    expect(sellableOf(hoodie, "hoodie-m-pink")).toEqual({
      problem: 'product "prod-hoodie" has no variant "hoodie-m-pink"; its variants are: hoodie-s-grey (S, grey); hoodie-xl-navy (XL, navy)',
    });
    expect(sellableOf(plain, "hoodie-s-grey")).toEqual({ problem: 'product "prod-mug" has no variants; send no variant_id' });
  });

  it("when lines are keyed, then a product and each of its variants are different lines", () => {
    expect(lineKey({ productId: "prod-mug" })).toBe("prod-mug");
    expect(lineKey({ productId: "prod-mug", variantId: "" })).toBe("prod-mug");
    expect(lineKey({ productId: "prod-hoodie", variantId: "hoodie-s-grey" })).toBe("prod-hoodie/hoodie-s-grey");
  });
});
