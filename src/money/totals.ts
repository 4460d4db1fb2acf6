import { add, money, percentOf, sum, times, zero, type Money } from "./money.js";

export interface PricingPolicy {
  readonly currency: string;
  /** Tax rate in basis points: 800 is 8%. */
  readonly taxRateBps: number;
  readonly freeShippingThresholdMinor: bigint;
  readonly flatShippingMinor: bigint;
}

export interface PricedLine {
  readonly unitPrice: Money;
  readonly quantity: number;
}

export interface Totals {
  readonly subtotal: Money;
  readonly tax: Money;
  readonly shipping: Money;
  readonly total: Money;
}

/** A stored line (order or cart item, price kept in minor units) as a priced line. */
export function storedLine(currency: string, line: { readonly unitPriceMinor: bigint; readonly quantity: number }): PricedLine {
  return { unitPrice: money(currency, line.unitPriceMinor), quantity: line.quantity };
}

export function lineTotal(line: PricedLine): Money {
  return times(line.unitPrice, line.quantity);
}

/**
 * Tax is charged on the subtotal (once, not per line, so rounding happens once) and not on
 * shipping. Shipping is free at or above the threshold and for an empty basket.
 */
export function computeTotals(lines: readonly PricedLine[], policy: PricingPolicy): Totals {
  const subtotal = sum(policy.currency, lines.map(lineTotal));
  const tax = percentOf(subtotal, policy.taxRateBps);
  const shipping =
    lines.length === 0 || subtotal.amountMinor >= policy.freeShippingThresholdMinor
      ? zero(policy.currency)
      : money(policy.currency, policy.flatShippingMinor);
  return { subtotal, tax, shipping, total: add(add(subtotal, tax), shipping) };
}
