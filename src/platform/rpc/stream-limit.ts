import { LimitExceededError } from "../errors/domain-errors.js";

/**
 * Long-lived streams held per process and per caller. Streams do not count against the unary
 * call limit (they would starve it by living for minutes); they count here instead.
 */
export class StreamLimit {
  private open = 0;
  private readonly perCaller = new Map<string, number>();

  constructor(
    readonly max: number,
    readonly maxPerCaller: number,
  ) {}

  get openStreams(): number {
    return this.open;
  }

  /** Takes a place for `caller`'s new stream and returns the function that gives it back; throws when none is left. */
  enter(caller: string, method: string): () => void {
    const held = this.perCaller.get(caller) ?? 0;
    if (held >= this.maxPerCaller) {
      throw new LimitExceededError(
        "TOO_MANY_STREAMS",
        `${method} streams per caller`,
        `a caller may keep ${this.maxPerCaller} ${method} streams open; close one first`,
      );
    }
    if (this.open >= this.max) {
      throw new LimitExceededError(
        "TOO_MANY_STREAMS",
        `${method} streams in this process`,
        `this instance serves ${this.max} streams, its limit; retry later or elsewhere`,
      );
    }
    this.open++;
    this.perCaller.set(caller, held + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.open--;
      const remaining = (this.perCaller.get(caller) ?? 1) - 1;
      if (remaining > 0) this.perCaller.set(caller, remaining);
      else this.perCaller.delete(caller);
    };
  }
}
