import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError, MAX_VIOLATIONS, type FieldViolation } from "./errors/domain-errors.js";

const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;

/**
 * Collects every problem in a request before rejecting it, so a client fixes them in one round
 * trip. Field paths use the proto field names, as google.rpc.BadRequest expects. Past
 * MAX_VIOLATIONS they are only counted: what a refusal holds does not grow with the request.
 */
export class Violations {
  private readonly list: FieldViolation[] = [];
  private total = 0;

  add(field: string, description: string): void {
    if (++this.total <= MAX_VIOLATIONS) this.list.push({ field, description });
  }

  /** Records a violation unless `ok`; returns `ok` so callers can skip dependent checks. */
  check(ok: boolean, field: string, description: string): boolean {
    if (!ok) this.add(field, description);
    return ok;
  }

  text(field: string, value: string, rule: { min?: number; max: number; pattern?: RegExp; hint?: string }): string {
    const trimmed = value.trim();
    const min = rule.min ?? 0;
    // PostgreSQL cannot store NUL in text; the driver fails the whole statement as a protocol error.
    if (trimmed.includes("\u0000")) {
      this.add(field, "must not contain NUL characters");
    } else if (trimmed.length < min) {
      this.add(field, min === 1 ? "is required" : `must be at least ${min} characters`);
    } else if (trimmed.length > rule.max) {
      this.add(field, `must be at most ${rule.max} characters`);
    } else if (trimmed && rule.pattern && !rule.pattern.test(trimmed)) {
      this.add(field, rule.hint ?? `must match ${rule.pattern.source}`);
    }
    return trimmed;
  }

  /** A google.protobuf.Timestamp within its documented range (years 1 to 9999); undefined when absent or invalid. */
  timestamp(field: string, value: Timestamp | undefined): Date | undefined {
    if (!value) return undefined;
    const ok =
      value.seconds >= MIN_TIMESTAMP_SECONDS && value.seconds <= MAX_TIMESTAMP_SECONDS && value.nanos >= 0 && value.nanos <= 999_999_999;
    return this.check(ok, field, "must be a time between 0001-01-01 and 9999-12-31 with nanos 0 to 999999999")
      ? timestampDate(value)
      : undefined;
  }

  throwIfAny(): void {
    if (this.total) throw new InvalidArgumentError(this.list, undefined, this.total);
  }
}

/** One rule for user ids, whether they come from a token's subject, a gateway header or a request field. */
export const USER_ID = { min: 1, max: 128, pattern: /^[\w.:@-]+$/, hint: "must be 1-128 letters, digits, or . _ : @ -" };

export function isUserId(value: string): boolean {
  return value.length >= USER_ID.min && value.length <= USER_ID.max && USER_ID.pattern.test(value);
}

export const REQUEST_ID = { min: 1, max: 128, pattern: /^[\w.:-]+$/, hint: "must be 1-128 letters, digits, or . _ : -" };
export const RESOURCE_ID = { min: 1, max: 128, pattern: /^[\w.:-]+$/, hint: "must be 1-128 letters, digits, or . _ : -" };
export const UUID = {
  min: 1,
  max: 36,
  pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  hint: "must be a UUID",
};
