import type { Money } from "../money/money.js";
import { FailedPreconditionError, InvalidArgumentError, type FieldViolation } from "../platform/errors/domain-errors.js";
import { lineKey } from "./sellable.js";

export interface Shortage {
  readonly productId: string;
  readonly variantId?: string;
  readonly requested: number;
  readonly available: number;
}

export interface PriceDifference {
  readonly productId: string;
  readonly variantId?: string;
  readonly expected: Money;
  readonly actual: Money;
}

export class UnknownProductsError extends InvalidArgumentError {
  constructor(readonly productIds: readonly string[]) {
    super(
      productIds.map((id) => ({ field: "items.product_id", description: `unknown product "${id}"` })),
      "UNKNOWN_PRODUCTS",
    );
  }
}

/** A line named no variant of a product sold by variant, one it lacks, or one of a product without variants. */
export class VariantChoiceError extends InvalidArgumentError {
  constructor(violations: readonly FieldViolation[]) {
    super(violations, "VARIANT_CHOICE");
  }
}

export class InactiveProductsError extends FailedPreconditionError {
  constructor(readonly productIds: readonly string[]) {
    super(
      "PRODUCTS_INACTIVE",
      `products not on sale: ${productIds.join(", ")}`,
      productIds.map((id) => ({ type: "PRODUCT_INACTIVE", subject: `products/${id}`, description: "not on sale" })),
    );
  }
}

export class InsufficientStockError extends FailedPreconditionError {
  constructor(readonly shortages: readonly Shortage[]) {
    super(
      "INSUFFICIENT_STOCK",
      `insufficient stock for ${shortages.map((s) => `${lineKey(s)} (requested ${s.requested}, available ${s.available})`).join(", ")}`,
      shortages.map((s) => ({
        type: "INSUFFICIENT_STOCK",
        subject: `products/${lineKey(s)}`,
        description: `requested ${s.requested}, available ${s.available}`,
      })),
    );
  }
}

export class PriceMismatchError extends FailedPreconditionError {
  constructor(readonly differences: readonly PriceDifference[]) {
    super(
      "PRICE_MISMATCH",
      `prices changed: ${differences.map((d) => `${lineKey(d)} expected ${d.expected.amountMinor} but is ${d.actual.amountMinor} ${d.actual.currency}`).join(", ")}`,
      differences.map((d) => ({
        type: "PRICE_MISMATCH",
        subject: `products/${lineKey(d)}`,
        description: `expected ${d.expected.amountMinor}, actual ${d.actual.amountMinor} ${d.actual.currency} minor units`,
      })),
    );
  }
}
