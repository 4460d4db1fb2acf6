import { describe, expect, it } from "vitest";
import {
  canTransition,
  IllegalTransitionError,
  isSettled,
  isTerminal,
  ORDER_STATUSES,
  transition,
  type OrderStatus,
} from "../../src/orders/domain/order-status.js";

/** The table from the design, written out independently of the implementation. */
const allowed = new Set([
  "PENDING>CONFIRMED",
  "PENDING>PAID",
  "PENDING>CANCELLED",
  "CONFIRMED>PAID",
  "CONFIRMED>PROCESSING",
  "CONFIRMED>CANCELLED",
  "PAID>PROCESSING",
  "PAID>CANCELLED",
  "PAID>REFUNDED",
  "PROCESSING>SHIPPED",
  "PROCESSING>CANCELLED",
  "PROCESSING>REFUNDED",
  "SHIPPED>DELIVERED",
  "SHIPPED>REFUNDED",
  "DELIVERED>REFUNDED",
]);

const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as [OrderStatus, OrderStatus]));

describe("order status transitions", () => {
  it.each(pairs.filter(([from, to]) => allowed.has(`${from}>${to}`)))("when %s moves to %s, then it is allowed", (from, to) => {
    expect(transition(from, to)).toBe(to);
  });

  it.each(pairs.filter(([from, to]) => !allowed.has(`${from}>${to}`)))("when %s moves to %s, then it throws", (from, to) => {
    expect(() => transition(from, to)).toThrow(IllegalTransitionError);
  });

  it("when a move is illegal, then the error says which moves are legal", () => {
    expect(() => transition("SHIPPED", "CANCELLED")).toThrow(/from SHIPPED it can move to DELIVERED, REFUNDED/);
  });
});

describe("what an illegal move says", () => {
  it("when an order moves illegally, then FAILED_PRECONDITION ILLEGAL_STATUS_TRANSITION lists the legal moves and names the pair", () => {
    const error = new IllegalTransitionError("PENDING", "SHIPPED");
    expect(error.kind).toBe("failed_precondition");
    expect(error.reason).toBe("ILLEGAL_STATUS_TRANSITION");
    expect(error.message).toBe("an order cannot move from PENDING to SHIPPED; from PENDING it can move to CONFIRMED, PAID, CANCELLED");
    expect(error.violations).toEqual([
      { type: "STATUS_TRANSITION", subject: "PENDING->SHIPPED", description: "not in the transition table" },
    ]);
  });

  it.each(["CANCELLED", "REFUNDED"] as const)("when a %s order is moved, then the error says it is terminal", (from) => {
    expect(() => transition(from, "PENDING")).toThrow(`from ${from} it can move to nothing (terminal)`);
    expect(isTerminal(from)).toBe(true);
    expect(isSettled(from)).toBe(true);
  });

  it.each(ORDER_STATUSES.filter((s) => !["CANCELLED", "REFUNDED"].includes(s)))(
    "when an order is %s, then it is not terminal",
    (status) => {
      expect(isTerminal(status)).toBe(false);
      expect(canTransition(status, "REFUNDED") || canTransition(status, "CANCELLED")).toBe(true);
    },
  );

  it("when an order is DELIVERED, then it is settled (WatchOrder ends) though a refund may still follow", () => {
    expect(isSettled("DELIVERED")).toBe(true);
    expect(isSettled("SHIPPED")).toBe(false);
    expect(isSettled("PENDING")).toBe(false);
  });
});
