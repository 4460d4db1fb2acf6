/*
 * Splitting an amount exactly: the parts are integers of minor units that always add up to the
 * whole, so whatever is refunded piece by piece never adds up to a cent more or less than was paid.
 */

/**
 * `total` split in proportion to `weights` by largest remainder: each part gets the floor of its
 * exact share, and the minor units left over go one each to the largest fractional parts (the
 * earlier part on a tie). Zero weights get nothing, unless every weight is zero (then the first
 * part takes it all, so the parts still add up). Negative totals split like positive ones.
 */
export function splitByWeights(total: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.some((weight) => weight < 0n)) throw new RangeError("weights must not be negative");
  if (!weights.length) {
    if (total !== 0n) throw new RangeError("cannot split a non-zero amount over nothing");
    return [];
  }
  const negative = total < 0n;
  const whole = negative ? -total : total;
  const weightSum = weights.reduce((a, b) => a + b, 0n);
  if (weightSum === 0n) return weights.map((_, i) => (i === 0 ? total : 0n));
  const parts = weights.map((weight) => (whole * weight) / weightSum);
  const remainders = weights.map((weight, i) => ({ i, rest: (whole * weight) % weightSum }));
  let left = whole - parts.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    parts[i] = parts[i]! + 1n;
    left -= 1n;
  }
  return negative ? parts.map((part) => -part) : parts;
}

/**
 * The share of `amount` carried by units `from` (0-based) up to but not including `to` of a line
 * of `quantity` units, when the amount is spread over the units as evenly as minor units allow:
 * the first `amount % quantity` units carry one minor unit more. Units are taken in this fixed
 * order, so every way of taking them all back adds up to `amount`.
 */
export function unitsShare(amount: bigint, quantity: number, from: number, to: number): bigint {
  if (!Number.isInteger(quantity) || quantity <= 0) throw new RangeError("quantity must be a positive integer");
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > quantity) {
    throw new RangeError(`units ${from}..${to} are not within a line of ${quantity}`);
  }
  const q = BigInt(quantity);
  const negative = amount < 0n;
  const whole = negative ? -amount : amount;
  const base = whole / q;
  const extra = Number(whole % q);
  const share = base * BigInt(to - from) + BigInt(Math.max(0, Math.min(to, extra) - Math.min(from, extra)));
  return negative ? -share : share;
}
