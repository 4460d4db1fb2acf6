/**
 * What to do with the next event of one order's (or one cart's) stream, by its `sequence`:
 * - "apply": it is the one after the last applied;
 * - "duplicate": at or below the last applied, a repeat of an event already applied (delivery is
 *   at least once); skip it;
 * - "gap": above the next one expected: events `missing.from` to `missing.to` have not been seen.
 *   Read the order's current state (GetOrder) or wait for them; `resume` then goes on from it.
 */
export type SequenceVerdict =
  | { readonly kind: "apply" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "gap"; readonly missing: { readonly from: bigint; readonly to: bigint } };

/**
 * Follows one aggregate's event stream. Keep one per order id (the record key) and store
 * `lastApplied` with the state it produced, so a restarted consumer goes on from it.
 *
 * ```ts
 * const stream = new SequenceTracker(stored.lastApplied);
 * const verdict = stream.next(event.sequence);
 * if (verdict.kind === "apply") apply(event);
 * ```
 */
export class SequenceTracker {
  private last: bigint;

  /** `lastApplied` 0 means nothing applied yet: the first event expected is 1. */
  constructor(lastApplied: bigint | number | string = 0n) {
    this.last = toSequence(lastApplied, "lastApplied");
  }

  get lastApplied(): bigint {
    return this.last;
  }

  /** The verdict on an event with this sequence; only "apply" moves the stream on. */
  next(sequence: bigint | number | string): SequenceVerdict {
    const value = toSequence(sequence, "sequence");
    if (value <= this.last) return { kind: "duplicate" };
    if (value > this.last + 1n) return { kind: "gap", missing: { from: this.last + 1n, to: value - 1n } };
    this.last = value;
    return { kind: "apply" };
  }

  /** After a gap was dealt with (the state re-read as of `sequence`), goes on from there. */
  resume(sequence: bigint | number | string): void {
    this.last = toSequence(sequence, "sequence");
  }
}

/** A sequence from the payload (bigint) or the ce_sequence header (a decimal string). */
function toSequence(value: bigint | number | string, name: string): bigint {
  if (typeof value === "string" && !/^\d+$/.test(value)) throw new RangeError(`${name} must be a decimal number, got "${value}"`);
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer, got ${value}`);
  const sequence = BigInt(value);
  if (sequence < 0n) throw new RangeError(`${name} must not be negative, got ${sequence}`);
  return sequence;
}
