import { describe, expect, it } from "vitest";
import {
  IllegalItemTransitionError,
  isFinalItem,
  ITEM_STATUSES,
  transitionItem,
  type ItemStatus,
} from "../../src/orders/domain/item-status.js";

/** The per-item fulfilment table, written out independently of the implementation. */
const allowed = new Set(["PENDING>PROCESSING", "PENDING>CANCELLED", "PROCESSING>SHIPPED", "PROCESSING>CANCELLED", "SHIPPED>DELIVERED"]);
const pairs = ITEM_STATUSES.flatMap((from) => ITEM_STATUSES.map((to) => [from, to] as [ItemStatus, ItemStatus]));

describe("item status transitions", () => {
  it.each(pairs.filter(([from, to]) => allowed.has(`${from}>${to}`)))(
    "when an item moves from %s to %s, then it is allowed",
    (from, to) => {
      expect(transitionItem("item-1", from, to)).toBe(to);
    },
  );

  it.each(pairs.filter(([from, to]) => !allowed.has(`${from}>${to}`)))("when an item moves from %s to %s, then it throws", (from, to) => {
    expect(() => transitionItem("item-1", from, to)).toThrow(IllegalItemTransitionError);
  });

  it("when asked which statuses are final, then only DELIVERED and CANCELLED", () => {
    expect(ITEM_STATUSES.filter(isFinalItem)).toEqual(["DELIVERED", "CANCELLED"]);
  });
});

describe("what an illegal item move says", () => {
  it("when an item moves illegally, then FAILED_PRECONDITION ILLEGAL_ITEM_TRANSITION lists the legal moves and names the item", () => {
    const error = new IllegalItemTransitionError("item-9", "PENDING", "DELIVERED");
    expect(error.reason).toBe("ILLEGAL_ITEM_TRANSITION");
    expect(error.message).toBe('item "item-9" cannot move from PENDING to DELIVERED; from PENDING it can move to PROCESSING, CANCELLED');
    expect(error.violations).toEqual([
      { type: "ITEM_STATUS_TRANSITION", subject: "items/item-9", description: "PENDING->DELIVERED is not in the item transition table" },
    ]);
  });

  it("when a final item is moved, then the error says it is final", () => {
    expect(() => transitionItem("item-9", "DELIVERED", "SHIPPED")).toThrow("from DELIVERED it can move to nothing (final)");
  });
});
