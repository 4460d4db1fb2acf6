import { FailedPreconditionError } from "../platform/domain-errors.js";

export const ORDER_STATUSES = [
  "PENDING",
  "CONFIRMED",
  "PAID",
  "PROCESSING",
  "SHIPPED",
  "DELIVERED",
  "CANCELLED",
  "REFUNDED",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Every legal move. Anything not listed is illegal, including staying in place. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ["CONFIRMED", "PAID", "CANCELLED"],
  CONFIRMED: ["PAID", "PROCESSING", "CANCELLED"],
  PAID: ["PROCESSING", "CANCELLED", "REFUNDED"],
  PROCESSING: ["SHIPPED", "CANCELLED", "REFUNDED"],
  SHIPPED: ["DELIVERED", "REFUNDED"],
  DELIVERED: ["REFUNDED"],
  CANCELLED: [],
  REFUNDED: [],
};

export class IllegalTransitionError extends FailedPreconditionError {
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    const allowed = ORDER_TRANSITIONS[from];
    super(
      "ILLEGAL_STATUS_TRANSITION",
      `an order cannot move from ${from} to ${to}; from ${from} it can move to ${allowed.length ? allowed.join(", ") : "nothing (terminal)"}`,
      [{ type: "STATUS_TRANSITION", subject: `${from}->${to}`, description: "not in the transition table" }],
    );
  }
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

/** Returns the new status or throws; never a silent no-op. */
export function transition(from: OrderStatus, to: OrderStatus): OrderStatus {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
  return to;
}

export function isTerminal(status: OrderStatus): boolean {
  return ORDER_TRANSITIONS[status].length === 0;
}

/** Nothing more happens unless someone acts: terminal, or DELIVERED (a refund is all that can follow). WatchOrder ends here. */
export function isSettled(status: OrderStatus): boolean {
  return isTerminal(status) || status === "DELIVERED";
}
