/*
 * Which authorization a capture takes from, and which capture a refund gives back from. An order
 * may hold several of each: a difference authorized after an edit or an exchange, a capture per
 * parcel (CAPTURE_ON=shipment). Amounts are decimal strings: JSON has no 64-bit integers.
 */

export interface AuthorizationTrail {
  /** The Payment service's authorization id. */
  id: string;
  amountMinor: string;
  capturedMinor: string;
  voidedMinor: string;
}

export interface CaptureTrail {
  /** The Payment service's transaction id. */
  id: string;
  authorizationId: string;
  amountMinor: string;
  refundedMinor: string;
}

export interface PaymentTrail {
  authorizations: AuthorizationTrail[];
  captures: CaptureTrail[];
}

export const EMPTY_TRAIL: PaymentTrail = { authorizations: [], captures: [] };

/** One Payment call's share of a larger amount: which authorization or capture, and how much. */
export interface TrailPart {
  readonly id: string;
  readonly amountMinor: bigint;
}

/** What an authorization still holds: neither captured nor released. */
export function openOf(authorization: AuthorizationTrail): bigint {
  return BigInt(authorization.amountMinor) - BigInt(authorization.capturedMinor) - BigInt(authorization.voidedMinor);
}

/** What of a capture can still go back. */
export function refundableOf(capture: CaptureTrail): bigint {
  return BigInt(capture.amountMinor) - BigInt(capture.refundedMinor);
}

export function openMinor(trail: PaymentTrail): bigint {
  return trail.authorizations.reduce((sum, authorization) => sum + openOf(authorization), 0n);
}

/** `amount` taken from the oldest authorizations first; throws if they hold less. */
export function captureParts(trail: PaymentTrail, amount: bigint): TrailPart[] {
  return parts(
    trail.authorizations.map((authorization) => ({ id: authorization.id, available: openOf(authorization) })),
    amount,
    "authorized",
  );
}

/** `amount` given back from the oldest captures first; throws if they hold less. */
export function refundParts(trail: PaymentTrail, amount: bigint): TrailPart[] {
  return parts(
    trail.captures.map((capture) => ({ id: capture.id, available: refundableOf(capture) })),
    amount,
    "captured",
  );
}

function parts(sources: readonly { id: string; available: bigint }[], amount: bigint, what: string): TrailPart[] {
  const taken: TrailPart[] = [];
  let left = amount;
  for (const { id, available } of sources) {
    if (left <= 0n) break;
    if (available <= 0n) continue;
    const part = available < left ? available : left;
    taken.push({ id, amountMinor: part });
    left -= part;
  }
  if (left > 0n) throw new RangeError(`${amount} is more than is ${what}: ${left} short`);
  return taken;
}

/** The trail with `part` added to one field of the entry `id` (entries are copied, never shared). */
export function addTo<T extends { id: string }>(entries: readonly T[], id: string, field: keyof T, amount: bigint): T[] {
  return entries.map((entry) => (entry.id === id ? { ...entry, [field]: String(BigInt(entry[field] as string) + amount) } : entry));
}
