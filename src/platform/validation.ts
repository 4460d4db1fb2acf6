import { InvalidArgumentError, type FieldViolation } from "./domain-errors.js";

/**
 * Collects every problem in a request before rejecting it, so a client fixes them in one round
 * trip. Field paths use the proto field names, as google.rpc.BadRequest expects.
 */
export class Violations {
  private readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }

  /** Records a violation unless `ok`; returns `ok` so callers can skip dependent checks. */
  check(ok: boolean, field: string, description: string): boolean {
    if (!ok) this.add(field, description);
    return ok;
  }

  text(field: string, value: string, rule: { min?: number; max: number; pattern?: RegExp; hint?: string }): string {
    const trimmed = value.trim();
    const min = rule.min ?? 0;
    if (trimmed.length < min) {
      this.add(field, min === 1 ? "is required" : `must be at least ${min} characters`);
    } else if (trimmed.length > rule.max) {
      this.add(field, `must be at most ${rule.max} characters`);
    } else if (trimmed && rule.pattern && !rule.pattern.test(trimmed)) {
      this.add(field, rule.hint ?? `must match ${rule.pattern.source}`);
    }
    return trimmed;
  }

  throwIfAny(): void {
    if (this.list.length) throw new InvalidArgumentError(this.list);
  }
}

export const REQUEST_ID = { min: 1, max: 128, pattern: /^[\w.:-]+$/, hint: "must be 1-128 letters, digits, or . _ : -" };
export const RESOURCE_ID = { min: 1, max: 128, pattern: /^[\w.:-]+$/, hint: "must be 1-128 letters, digits, or . _ : -" };
export const UUID = {
  min: 1,
  max: 36,
  pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  hint: "must be a UUID",
};
