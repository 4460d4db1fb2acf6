import { FailedPreconditionError } from "../../platform/errors/domain-errors.js";

export const ORDER_STATUSES = ["PENDING", "CONFIRMED", "PAID", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED"] as const;
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

/**
 * What an order may have done to it in each status, besides moving through the table above.
 * Every guard of the aggregate reads this; no other list of statuses decides anything.
 */
export const ALLOWED_IN = {
  /** Before any parcel exists (fulfilment checks that); a paid order's difference is paid or refunded. */
  "edit items": ["PENDING", "CONFIRMED", "PAID"],
  "change the shipping address": ["PENDING", "CONFIRMED", "PAID", "PROCESSING"],
  "change tracking": ["PENDING", "CONFIRMED", "PAID", "PROCESSING", "SHIPPED", "DELIVERED"],
  pay: ["PENDING", "CONFIRMED", "PAID", "PROCESSING", "SHIPPED", "DELIVERED"],
  "delete the order": ["DELIVERED", "CANCELLED", "REFUNDED"],
  "mark an item PROCESSING": ["CONFIRMED", "PAID", "PROCESSING"],
  "mark an item CANCELLED": ["CONFIRMED", "PAID", "PROCESSING"],
  "mark an item SHIPPED": ["PROCESSING", "SHIPPED"],
  // Sellers ship and deliver their own items; the order follows once every item has.
  "mark an item DELIVERED": ["PROCESSING", "SHIPPED"],
  /** Parcels leave: confirmed or paid orders, those whose fulfilment has started, and an exchange's new items after the order shipped. */
  "ship items": ["CONFIRMED", "PAID", "PROCESSING", "SHIPPED", "DELIVERED"],
  /** Shipped units come back (returns) or are made good (claims). */
  "take back items": ["PROCESSING", "SHIPPED", "DELIVERED"],
  /** The goods are still in the warehouse, held by the order's reservation. */
  "hold stock": ["PENDING", "CONFIRMED", "PAID", "PROCESSING"],
} as const satisfies Record<string, readonly OrderStatus[]>;
export type OrderAction = keyof typeof ALLOWED_IN;

export function isAllowed(status: OrderStatus, action: OrderAction): boolean {
  return (ALLOWED_IN[action] as readonly OrderStatus[]).includes(status);
}

export class StatusForbidsError extends FailedPreconditionError {
  constructor(orderId: string, status: OrderStatus, action: OrderAction) {
    super("ORDER_STATUS_FORBIDS", `cannot ${action} while the order is ${status}; allowed in ${ALLOWED_IN[action].join(", ")}`, [
      { type: "ORDER_STATUS", subject: `orders/${orderId}`, description: `is ${status}` },
    ]);
  }
}

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
