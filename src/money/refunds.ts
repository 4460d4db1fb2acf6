import { splitByWeights, unitsShare } from "./allocation.js";

/** A line as paid: its unit price, units bought, and units already refunded (always the first ones). */
export interface PaidLine {
  readonly unitPriceMinor: bigint;
  readonly quantity: number;
  readonly refundedQuantity: number;
}

/** What giving back some units of a line returns: the amount with its tax, and the tax within it. */
export interface UnitsRefund {
  readonly amountMinor: bigint;
  readonly taxMinor: bigint;
}

/**
 * The order's tax as each line carries it: split over the lines by their totals, largest
 * remainder, so the lines' taxes add up to the order's exactly (tax is rounded once, on the
 * subtotal; money/totals.ts).
 */
export function lineTaxes(lines: readonly Pick<PaidLine, "unitPriceMinor" | "quantity">[], taxMinor: bigint): bigint[] {
  return splitByWeights(
    taxMinor,
    lines.map((line) => line.unitPriceMinor * BigInt(line.quantity)),
  );
}

/**
 * The next `count` units of a line given back: each at its unit price plus its share of the line's
 * tax. Units come back in a fixed order (the first `refundedQuantity` already have), so the refunds
 * of all units add up to exactly what the line cost, however they are grouped.
 */
export function unitsRefund(line: PaidLine, lineTaxMinor: bigint, count: number): UnitsRefund {
  const taxMinor = unitsShare(lineTaxMinor, line.quantity, line.refundedQuantity, line.refundedQuantity + count);
  return { amountMinor: line.unitPriceMinor * BigInt(count) + taxMinor, taxMinor };
}
