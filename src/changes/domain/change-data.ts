import type { ChangeStatus, ChangeType, ReturnStatus } from "./change-status.js";

export const RETURN_REASONS = ["NO_LONGER_NEEDED", "WRONG_SIZE", "NOT_AS_DESCRIBED", "DAMAGED", "ARRIVED_LATE", "OTHER"] as const;
export type ReturnReason = (typeof RETURN_REASONS)[number];
export const CLAIM_REASONS = ["MISSING", "WRONG_ITEM", "DEFECTIVE"] as const;
export type ClaimReason = (typeof CLAIM_REASONS)[number];

/** One action of a change, in the order given. */
export type ChangeAction =
  | { kind: "RETURN_ITEM"; itemId: string; quantity: number; reason: ReturnReason; note: string }
  /** `replace`: sent again free of charge (as the order item `replacementItemId`) instead of refunded; absent in older rows. */
  | {
      kind: "CLAIM_ITEM";
      itemId: string;
      quantity: number;
      reason: ClaimReason;
      note: string;
      replace?: boolean;
      replacementItemId?: string;
    }
  /** An item edit (AddOrderItem, UpdateOrderItemQuantity, RemoveOrderItem): units before and after, 0 when added or removed. */
  | { kind: "EDIT_ITEM"; itemId: string; productId: string; variantId: string; previousQuantity: number; quantity: number }
  | AddItemAction;

/**
 * A new item an exchange sends out, priced from the catalog when the change is made (`itemId`
 * empty until then): the order line it becomes, its price a decimal string.
 */
export interface AddItemAction {
  kind: "ADD_ITEM";
  itemId: string;
  productId: string;
  variantId: string;
  quantity: number;
  unitPriceMinor: string;
  sku: string;
  name: string;
  imageUrl: string;
  sellerId: string;
  variantAttributes: Record<string, string>;
}

/** What one action refunded (negative) or cost (positive), with the tax within it; decimal strings (JSON has no 64-bit integers). */
export interface ChangeLine {
  action: number;
  itemId: string;
  quantity: number;
  amountMinor: string;
  taxMinor: string;
}

/** Units of one item as a return arrived. */
export interface ReceivedLine {
  itemId: string;
  good: number;
  damaged: number;
}

/** What a change is, as plain data: the row of order_changes. */
export interface OrderChangeFields {
  id: string;
  orderId: string;
  type: ChangeType;
  status: ChangeStatus;
  returnStatus: ReturnStatus | "";
  /** The order version it was made against. */
  orderVersion: number;
  actions: ChangeAction[];
  lines: ChangeLine[];
  note: string;
  createdBy: string;
  /** Asked for by the order's buyer (who may withdraw it). */
  byCustomer: boolean;
  decisionReason: string;
  decidedBy: string;
  received: ReceivedLine[];
  receivingLocationId: string;
  /** The sellers of the items it touches: whose queue it is in, who may confirm it. */
  sellerIds: string[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}
