/** An amount in integer minor units of an ISO 4217 currency. Never a float. */
export interface Money {
  readonly currency: string;
  readonly amountMinor: bigint;
}

export class CurrencyMismatchError extends Error {
  constructor(a: string, b: string) {
    super(`cannot combine ${a} with ${b}`);
    this.name = "CurrencyMismatchError";
  }
}

export function money(currency: string, amountMinor: bigint | number): Money {
  return { currency, amountMinor: BigInt(amountMinor) };
}

export function zero(currency: string): Money {
  return money(currency, 0n);
}

export function add(a: Money, b: Money): Money {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
  return money(a.currency, a.amountMinor + b.amountMinor);
}

export function sum(currency: string, amounts: readonly Money[]): Money {
  return amounts.reduce(add, zero(currency));
}

export function times(unit: Money, quantity: number): Money {
  return money(unit.currency, unit.amountMinor * BigInt(quantity));
}

export function equals(a: Money, b: Money): boolean {
  return a.currency === b.currency && a.amountMinor === b.amountMinor;
}

/**
 * amount * basisPoints / 10000, rounded half up (half away from zero) to the minor unit:
 * 0.5 of a cent becomes a cent. Integer arithmetic only, so no binary-float surprises.
 */
export function percentOf(amount: Money, basisPoints: number): Money {
  const scaled = amount.amountMinor * BigInt(basisPoints);
  const negative = scaled < 0n;
  const rounded = ((negative ? -scaled : scaled) + 5000n) / 10000n;
  return money(amount.currency, negative ? -rounded : rounded);
}
