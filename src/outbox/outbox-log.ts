import type { EntityManager } from "@mikro-orm/postgresql";
import { query } from "../db/sql.js";

/** One outbox row as an audit view shows it. */
export interface LoggedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly topic: string;
  readonly occurredAt: Date;
  readonly publishedAt: Date | null;
  readonly attempts: number;
  readonly parked: boolean;
  /** Why the broker last refused it; "" when it never did. */
  readonly lastError: string;
  /** When a refused, unparked event is tried again. */
  readonly nextAttemptAt: Date | null;
}

/**
 * The events written for one aggregate that the outbox still holds, oldest first: pending ones,
 * and published ones until the purge removes them (OUTBOX_RETENTION_MS).
 */
export async function eventsOf(em: EntityManager, aggregateId: string): Promise<LoggedEvent[]> {
  const rows = await query<{
    event_id: string;
    event_type: string;
    topic: string;
    occurred_at: Date;
    published_at: Date | null;
    attempts: number;
    parked_at: Date | null;
    last_error: string;
    next_attempt_at: Date;
  }>(
    em,
    `select event_id, event_type, topic, occurred_at, published_at, attempts, parked_at, last_error, next_attempt_at
     from outbox_events where aggregate_id = ? order by id`,
    [aggregateId],
  );
  return rows.map((row) => ({
    eventId: row.event_id,
    type: row.event_type,
    topic: row.topic,
    occurredAt: new Date(row.occurred_at),
    publishedAt: row.published_at === null ? null : new Date(row.published_at),
    attempts: row.attempts,
    parked: row.parked_at !== null,
    lastError: row.last_error,
    nextAttemptAt: row.published_at === null && row.parked_at === null && row.last_error ? new Date(row.next_attempt_at) : null,
  }));
}

/**
 * Releases an aggregate's parked events for the relay to send again, with fresh attempts, once
 * their cause is fixed; they go in id order and the aggregate's later events follow. Returns how
 * many were parked.
 */
export async function retryParked(em: EntityManager, aggregateId: string): Promise<number> {
  const released = await query<{ id: string }>(
    em,
    `update outbox_events set parked_at = null, attempts = 0, next_attempt_at = now()
     where aggregate_id = ? and parked_at is not null and published_at is null returning id`,
    [aggregateId],
  );
  return released.length;
}
