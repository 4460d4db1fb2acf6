import { lineKey } from "../../catalog/sellable.js";
import type { Money } from "../../money/money.js";
import { DomainError } from "../../platform/errors/domain-errors.js";

export type AdjustmentReason = "REPRICED" | "OUT_OF_STOCK" | "SHORT_OF_STOCK" | "INACTIVE" | "UNKNOWN_PRODUCT";

export interface CartAdjustment {
  readonly productId: string;
  /** '' for products without variants. */
  readonly variantId: string;
  readonly reason: AdjustmentReason;
  readonly oldUnitPrice: Money;
  readonly newUnitPrice: Money;
  readonly oldQuantity: number;
  /** 0 when the line was removed. */
  readonly newQuantity: number;
}

/** Checkout found the catalog or stock moved, fixed the cart, and placed no order. */
export class CartChangedError extends DomainError {
  constructor(
    readonly adjustments: readonly CartAdjustment[],
    readonly cartVersion: number,
  ) {
    super(
      "aborted",
      "CART_CHANGED",
      `the cart was updated and no order was placed: ${adjustments.map((a) => `${lineKey(a)} ${a.reason.toLowerCase().replaceAll("_", " ")}`).join(", ")}; review it and check out again`,
      { cart_version: String(cartVersion) },
    );
  }
}

/** Another checkout of the same cart is under way (its mark has not passed): this one places nothing. */
export class CheckoutInProgressError extends DomainError {
  constructor(cartKey: string) {
    super("aborted", "CHECKOUT_IN_PROGRESS", `another checkout of cart "${cartKey}" is under way; retry shortly`);
  }
}
