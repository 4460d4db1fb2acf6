import type { MikroORM } from "@mikro-orm/postgresql";
import type { Producer } from "kafkajs";
import type { Logger } from "pino";
import type { PgListener } from "../platform/pg-listener.js";
import { toKafkaMessage, type EventEncoding, type OutboxRow } from "./cloudevents.js";
import type { RelayObserver } from "./outbox-metrics.js";
import { query } from "../db/sql.js";

export interface RelayOptions {
  readonly batchSize: number;
  /** Safety net for a missed NOTIFY, and how often backlog and lag are measured. */
  readonly pollMs: number;
  readonly retentionMs: number;
  readonly source: string;
  readonly encoding: EventEncoding;
}

export interface OutboxStats {
  readonly backlog: number;
  /** Age of the oldest unpublished event; 0 when there is none. */
  readonly oldestUnpublishedMs: number;
  readonly lastPublishedAt?: string;
  readonly lastError?: string;
}

/** Any fixed number shared by every instance: the relay that holds it publishes, the others wait. */
const RELAY_LOCK_ID = 4_271_002;
const MAX_BACKOFF_MS = 5_000;
const CLEANUP_EVERY_MS = 60_000;

interface Row {
  id: string;
  event_id: string;
  topic: string;
  aggregate_id: string;
  event_type: string;
  payload: Buffer;
  occurred_at: Date;
  trace_parent: string | null;
}

/**
 * Publishes outbox rows to Kafka in id order, at least once. Only the instance holding a
 * transaction-scoped advisory lock publishes, so one order's events are never sent by two
 * relays at once and keep their order; a batch is marked published in the same transaction
 * after Kafka acknowledged it (acks=all, idempotent producer), so a crash in between repeats
 * it rather than losing it. Woken by NOTIFY on commit; polls as a fallback; backs off while
 * Kafka is down.
 */
export class OutboxRelay {
  private draining = false;
  private again = false;
  private backoffMs = 0;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  private state: OutboxStats = { backlog: 0, oldestUnpublishedMs: 0 };
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly orm: MikroORM,
    private readonly producer: Producer,
    private readonly listener: PgListener,
    private readonly options: RelayOptions,
    private readonly log: Logger,
    private readonly observer: RelayObserver = { published: () => undefined, failed: () => undefined },
  ) {}

  start(): void {
    this.unsubscribe.push(
      this.listener.subscribe(() => this.wake()),
      this.listener.onReconnect(() => this.wake()),
    );
    this.timers.push(
      setInterval(() => {
        this.wake();
        void this.measure();
      }, this.options.pollMs),
      setInterval(() => void this.cleanUp(), CLEANUP_EVERY_MS),
    );
    this.timers.forEach((timer) => timer.unref());
    this.wake();
  }

  get stats(): OutboxStats {
    return this.state;
  }

  /**
   * Stops relaying. With `flushWithinMs`, first publishes what is left in the outbox (the servers
   * are closed by then, so nothing new arrives), so that an order acknowledged before a shutdown
   * is on Kafka when the process exits; what it cannot publish in time stays for the next relay.
   */
  async stop(flushWithinMs = 0): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    this.unsubscribe.forEach((unsubscribe) => unsubscribe());
    await this.current;
    if (flushWithinMs > 0) await this.flush(Date.now() + flushWithinMs);
  }

  private async flush(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      try {
        if ((await this.publishBatch()) < this.options.batchSize) return;
      } catch (error) {
        this.observer.failed();
        this.log.warn({ err: error }, "publishing the outbox at shutdown failed; retrying until the grace period ends");
        await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(deadline - Date.now(), 0))));
      }
    }
    this.log.warn("shutdown left events in the outbox; the next relay to run publishes them");
  }

  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    this.current = this.drain().finally(() => {
      this.draining = false;
    });
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      try {
        while (!this.stopped && (await this.publishBatch()) === this.options.batchSize);
        this.backoffMs = 0;
      } catch (error) {
        this.observer.failed();
        this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 100), MAX_BACKOFF_MS);
        this.state = { ...this.state, lastError: error instanceof Error ? error.message : String(error) };
        this.log.warn({ err: error, retryInMs: this.backoffMs }, "publishing outbox events failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, this.backoffMs).unref());
        this.again = true;
      }
    } while (this.again && !this.stopped);
  }

  /** Returns how many rows it published; 0 also when another relay holds the lock. */
  private async publishBatch(): Promise<number> {
    return this.orm.em.fork().transactional(async (tx) => {
      const [lock] = await query<{ locked: boolean }>(tx, `select pg_try_advisory_xact_lock(?) as locked`, [RELAY_LOCK_ID]);
      if (!lock?.locked) return 0;
      const rows = await query<Row>(
        tx,
        `select id, event_id, topic, aggregate_id, event_type, payload, occurred_at, trace_parent
         from outbox_events where published_at is null order by id limit ?`,
        [this.options.batchSize],
      );
      if (!rows.length) return 0;
      for (const [topic, messages] of byTopic(rows.map(toOutboxRow))) {
        await this.producer.send({
          topic,
          acks: -1,
          messages: messages.map((row) => toKafkaMessage(row, this.options.source, this.options.encoding)),
        });
      }
      await query(tx, `update outbox_events set published_at = now(), attempts = attempts + 1 where id = any(?::bigint[])`, [
        rows.map((row) => String(row.id)),
      ]);
      this.state = { ...this.state, lastPublishedAt: new Date().toISOString(), lastError: undefined };
      this.observer.published(rows.length);
      return rows.length;
    });
  }

  private async measure(): Promise<void> {
    try {
      const [row] = await this.orm.em.fork().execute<{ backlog: number; oldest_ms: number | null }[]>(
        `select count(*)::int as backlog, (extract(epoch from now() - min(occurred_at)) * 1000)::float8 as oldest_ms
         from outbox_events where published_at is null`,
      );
      this.state = { ...this.state, backlog: row?.backlog ?? 0, oldestUnpublishedMs: Math.max(0, Math.round(row?.oldest_ms ?? 0)) };
    } catch (error) {
      this.log.warn({ err: error }, "could not measure the outbox backlog");
    }
  }

  private async cleanUp(): Promise<void> {
    try {
      await this.orm.em.fork().execute(
        `delete from outbox_events where id in (
           select id from outbox_events where published_at < now() - make_interval(secs => ?) limit 10000)`,
        [this.options.retentionMs / 1000],
      );
    } catch (error) {
      this.log.warn({ err: error }, "could not delete published outbox events");
    }
  }
}

function toOutboxRow(row: Row): OutboxRow {
  return {
    id: String(row.id),
    eventId: row.event_id,
    topic: row.topic,
    aggregateId: row.aggregate_id,
    eventType: row.event_type,
    payload: row.payload,
    occurredAt: new Date(row.occurred_at),
    traceParent: row.trace_parent,
  };
}

/** Keeps row order within each topic. */
function byTopic(rows: OutboxRow[]): Map<string, OutboxRow[]> {
  const groups = new Map<string, OutboxRow[]>();
  for (const row of rows) groups.set(row.topic, [...(groups.get(row.topic) ?? []), row]);
  return groups;
}
