import { describe, expect, it } from "vitest";
import type { Sellable } from "../../src/catalog/sellable.js";
import type { ProductInfo } from "../../src/catalog/catalog-ports.js";
import { money } from "../../src/money/money.js";
import { Cart, isExpired, requireSellable, type CartView } from "../../src/cart/domain/cart.js";
import { DomainError } from "../../src/platform/errors/domain-errors.js";
import { thrownReason } from "../support/errors.js";

const rules = { maxLines: 2, maxQuantity: 5 };
const now = new Date("2026-11-28T10:00:00Z");

const product = (id: string, priceMinor = 1000n, active = true): Sellable => ({
  productId: id,
  variantId: "",
  sellerId: "seller-1",
  sku: `SKU-${id}`,
  name: `Product ${id}`,
  imageUrl: "",
  price: money("USD", priceMinor),
  active,
  attributes: {},
});
const info = (id: string, active = true): ProductInfo => ({
  id,
  sku: `SKU-${id}`,
  name: `Product ${id}`,
  imageUrl: "",
  price: money("USD", 1000n),
  active,
  sellerId: "seller-1",
  variants: [],
});
const ref = (productId: string) => ({ productId, variantId: "" });

function cart(lines: CartView["lines"] = []): Cart {
  return Cart.restore({
    userId: "u1",
    currency: "USD",
    version: 3,
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + 60_000),
    reservationId: "",
    holdsUntil: null,
    checkoutUntil: null,
    status: "OPEN",
    mergedInto: "",
    guestEmail: "",
    abandonedAt: null,
    lines,
  });
}

describe("the cart aggregate", () => {
  it("when a product is added twice, then it is one line with both quantities and the latest snapshot", () => {
    const c = cart();
    c.add(product("a", 1000n), 2, rules);
    c.add(product("a", 900n), 1, rules);
    expect(c.view.lines).toEqual([
      {
        productId: "a",
        variantId: "",
        sellerId: "seller-1",
        variantAttributes: {},
        sku: "SKU-a",
        name: "Product a",
        imageUrl: "",
        quantity: 3,
        unitPriceMinor: 900n,
      },
    ]);
  });

  it("when a line would pass the per-product limit, then CART_LINE_LIMIT and nothing changes", () => {
    const c = cart();
    c.add(product("a"), 5, rules);
    expect(thrownReason(() => c.add(product("a"), 1, rules))).toBe("CART_LINE_LIMIT");
    expect(c.view.lines[0]!.quantity).toBe(5);
  });

  it("when a new product would pass the line limit, then CART_FULL; more of a product already in it is fine", () => {
    const c = cart();
    c.add(product("a"), 1, rules);
    c.add(product("b"), 1, rules);
    expect(thrownReason(() => c.add(product("c"), 1, rules))).toBe("CART_FULL");
    expect(() => c.add(product("b"), 1, rules)).not.toThrow();
  });

  it("when a quantity is set to 0, then the line goes; a missing line is NOT_FOUND", () => {
    const c = cart();
    c.add(product("a"), 2, rules);
    c.setQuantity(ref("a"), 4);
    expect(c.view.lines[0]!.quantity).toBe(4);
    c.setQuantity(ref("a"), 0);
    expect(c.view.lines).toEqual([]);
    expect(thrownReason(() => c.setQuantity(ref("a"), 1))).toBe("CART_ITEM_NOT_FOUND");
    expect(thrownReason(() => c.remove(ref("a")))).toBe("CART_ITEM_NOT_FOUND");
  });

  it("when checkout's fixes are applied, then lines are lowered, re-priced or removed, and unknown ones ignored", () => {
    const c = cart();
    c.add(product("a"), 3, rules);
    c.add(product("b"), 1, rules);
    c.fix([
      { productId: "a", variantId: "", newQuantity: 1, newUnitPriceMinor: 1200n },
      { productId: "b", variantId: "", newQuantity: 0, newUnitPriceMinor: 1000n },
      { productId: "zzz", variantId: "", newQuantity: 0, newUnitPriceMinor: 0n },
    ]);
    expect(c.view.lines.map((line) => [line.productId, line.quantity, line.unitPriceMinor])).toEqual([["a", 1, 1200n]]);
  });

  it("when cleared, then empty; when stored, then it takes the new version and times", () => {
    const c = cart();
    c.add(product("a"), 1, rules);
    c.clear();
    expect(c.view.lines).toEqual([]);
    const later = new Date(now.getTime() + 1000);
    c.stored(4, later, later);
    expect(c.view).toMatchObject({ version: 4, updatedAt: later, expiresAt: later });
  });

  it("when a reader edits the view, then the cart does not change", () => {
    const c = cart();
    c.add(product("a"), 1, rules);
    (c.view.lines[0] as { quantity: number }).quantity = 99;
    expect(c.view.lines[0]!.quantity).toBe(1);
  });

  it("expiry: a cart is expired from its expiry on", () => {
    expect(isExpired({ expiresAt: now }, now)).toBe(true);
    expect(isExpired({ expiresAt: new Date(now.getTime() + 1) }, now)).toBe(false);
    expect(cart().isExpired(now)).toBe(false);
  });

  it("only products on sale go in: unknown is UNKNOWN_PRODUCTS, inactive INACTIVE_PRODUCTS", () => {
    expect(() => requireSellable(ref("x"), undefined)).toThrow(DomainError);
    expect(() => requireSellable(ref("x"), info("x", false))).toThrow(DomainError);
    expect(requireSellable(ref("x"), info("x")).productId).toBe("x");
  });
});
