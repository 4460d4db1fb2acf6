import { FailedPreconditionError } from "../../platform/errors/domain-errors.js";
export const ITEM_STATUSES = ["PENDING", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELLED"] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** Every legal move of one item's fulfilment. DELIVERED and CANCELLED are final. */
export const ITEM_TRANSITIONS: Readonly<Record<ItemStatus, readonly ItemStatus[]>> = {
  PENDING: ["PROCESSING", "CANCELLED"],
  PROCESSING: ["SHIPPED", "CANCELLED"],
  SHIPPED: ["DELIVERED"],
  DELIVERED: [],
  CANCELLED: [],
};

export class IllegalItemTransitionError extends FailedPreconditionError {
  constructor(itemId: string, from: ItemStatus, to: ItemStatus) {
    const allowed = ITEM_TRANSITIONS[from];
    super(
      "ILLEGAL_ITEM_TRANSITION",
      `item "${itemId}" cannot move from ${from} to ${to}; from ${from} it can move to ${allowed.length ? allowed.join(", ") : "nothing (final)"}`,
      [{ type: "ITEM_STATUS_TRANSITION", subject: `items/${itemId}`, description: `${from}->${to} is not in the item transition table` }],
    );
  }
}

export function transitionItem(itemId: string, from: ItemStatus, to: ItemStatus): ItemStatus {
  if (!ITEM_TRANSITIONS[from].includes(to)) throw new IllegalItemTransitionError(itemId, from, to);
  return to;
}

export function isFinalItem(status: ItemStatus): boolean {
  return ITEM_TRANSITIONS[status].length === 0;
}
