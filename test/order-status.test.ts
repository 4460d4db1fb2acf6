import { describe, expect, it } from "vitest";
import {
  IllegalTransitionError,
  ORDER_STATUSES,
  transition,
  type OrderStatus,
} from "../src/orders/order-status.js";

/** The table from the design, written out independently of the implementation. */
const allowed = new Set([
  "PENDING>CONFIRMED", "PENDING>PAID", "PENDING>CANCELLED",
  "CONFIRMED>PAID", "CONFIRMED>PROCESSING", "CONFIRMED>CANCELLED",
  "PAID>PROCESSING", "PAID>CANCELLED", "PAID>REFUNDED",
  "PROCESSING>SHIPPED", "PROCESSING>CANCELLED", "PROCESSING>REFUNDED",
  "SHIPPED>DELIVERED", "SHIPPED>REFUNDED",
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
