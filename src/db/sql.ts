import type { EntityManager } from "@mikro-orm/postgresql";
import { CompiledQuery, type Transaction } from "kysely";

/*
 * The hot paths' plain SQL, sent with its values bound by PostgreSQL ($1, $2, ...) in the
 * EntityManager's transaction when it has one. `em.execute` inlines every value into the text
 * first (quoting each, then logging the result): on CreateOrder's one insert of ~60 values that
 * was 4% of the service's CPU per order (bench:profile, 2026-11-28).
 */

/** `?` placeholders as `$n`, outside quoted strings and identifiers; cached, as the statements are few. */
const numbered = new Map<string, string>();
const MAX_CACHED = 1_000;

export function numberPlaceholders(sql: string): string {
  let text = numbered.get(sql);
  if (text !== undefined) return text;
  let n = 0;
  text = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (match) => (match === "?" ? `$${++n}` : match));
  if (numbered.size < MAX_CACHED) numbered.set(sql, text);
  return text;
}

/** Runs `sql` (with `?` placeholders) and returns its rows. */
export async function query<T = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  const client = em.getTransactionContext<Transaction<unknown>>() ?? em.getConnection().getClient<unknown>();
  const result = await client.executeQuery<T>(CompiledQuery.raw(numberPlaceholders(sql), [...params]));
  return result.rows;
}

/**
 * A write that rides in another statement as a data-modifying CTE (`<name> as (...)`), saving its
 * own round trip: CreateOrder's reservation claim and idempotent response go with the order's
 * rows. The carrying statement returns how many rows each step returned; `check` throws unless
 * that is what the step needs, and the caller's transaction rolls everything back with it.
 */
export interface SqlStep {
  readonly name: string;
  readonly sql: string;
  readonly params: readonly unknown[];
  check(rows: number): void;
}

/** The select that ends a statement carrying `steps`: each step's row count, by its name. */
export function countsOf(steps: readonly SqlStep[]): string {
  return `select ${steps.map((step) => `(select count(*)::int from ${step.name}) as "${step.name}"`).join(", ")}`;
}
