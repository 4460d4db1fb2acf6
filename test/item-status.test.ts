import { describe, expect, it } from "vitest";
import { IllegalItemTransitionError, isFinalItem, transitionItem, type ItemStatus } from "../src/orders/item-status.js";
import { ITEM_STATUSES } from "../src/orders/order.entity.js";

/** The per-item fulfilment table, written out independently of the implementation. */
const allowed = new Set(["PENDING>PROCESSING", "PENDING>CANCELLED", "PROCESSING>SHIPPED", "PROCESSING>CANCELLED", "SHIPPED>DELIVERED"]);
const pairs = ITEM_STATUSES.flatMap((from) => ITEM_STATUSES.map((to) => [from, to] as [ItemStatus, ItemStatus]));

describe("item status transitions", () => {
  it.each(pairs.filter(([from, to]) => allowed.has(`${from}>${to}`)))("when an item moves from %s to %s, then it is allowed", (from, to) => {
    expect(transitionItem("item-1", from, to)).toBe(to);
  });

  it.each(pairs.filter(([from, to]) => !allowed.has(`${from}>${to}`)))("when an item moves from %s to %s, then it throws", (from, to) => {
    expect(() => transitionItem("item-1", from, to)).toThrow(IllegalItemTransitionError);
  });

  it("when asked which statuses are final, then only DELIVERED and CANCELLED", () => {
    expect(ITEM_STATUSES.filter(isFinalItem)).toEqual(["DELIVERED", "CANCELLED"]);
  });
});
