import type { Money } from "../money/money.js";
import { FailedPreconditionError, InvalidArgumentError } from "../platform/domain-errors.js";

export interface Shortage {
  readonly productId: string;
  readonly requested: number;
  readonly available: number;
}

export interface PriceDifference {
  readonly productId: string;
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
      `insufficient stock for ${shortages.map((s) => `${s.productId} (requested ${s.requested}, available ${s.available})`).join(", ")}`,
      shortages.map((s) => ({
        type: "INSUFFICIENT_STOCK",
        subject: `products/${s.productId}`,
        description: `requested ${s.requested}, available ${s.available}`,
      })),
    );
  }
}

export class PriceMismatchError extends FailedPreconditionError {
  constructor(readonly differences: readonly PriceDifference[]) {
    super(
      "PRICE_MISMATCH",
      `prices changed: ${differences.map((d) => `${d.productId} expected ${d.expected.amountMinor} but is ${d.actual.amountMinor} ${d.actual.currency}`).join(", ")}`,
      differences.map((d) => ({
        type: "PRICE_MISMATCH",
        subject: `products/${d.productId}`,
        description: `expected ${d.expected.amountMinor}, actual ${d.actual.amountMinor} ${d.actual.currency} minor units`,
      })),
    );
  }
}
