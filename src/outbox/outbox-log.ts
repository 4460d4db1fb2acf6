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
  }>(em, `select event_id, event_type, topic, occurred_at, published_at, attempts from outbox_events where aggregate_id = ? order by id`, [
    aggregateId,
  ]);
  return rows.map((row) => ({
    eventId: row.event_id,
    type: row.event_type,
    topic: row.topic,
    occurredAt: new Date(row.occurred_at),
    publishedAt: row.published_at === null ? null : new Date(row.published_at),
    attempts: row.attempts,
  }));
}
