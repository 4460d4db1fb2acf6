import type { EntityManager, MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import type { PgListener } from "../db/pg-listener.js";
import type { EventEncoding, OutboxRow } from "./cloudevents.js";
import type { Delivery, KafkaDelivery } from "./kafka-delivery.js";
import type { RelayObserver } from "./outbox-metrics.js";
import { query } from "../db/sql.js";

export interface RelayOptions {
  readonly batchSize: number;
  /** Refusals of one row by the broker before it is parked for staff to retry. */
  readonly maxAttempts: number;
  /** A refused row's first wait; it doubles with each refusal, up to MAX_ROW_BACKOFF_MS. */
  readonly retryBackoffMs: number;
  /** Safety net for a missed NOTIFY, and how often backlog and lag are measured. */
  readonly pollMs: number;
  readonly retentionMs: number;
  readonly source: string;
  readonly encoding: EventEncoding;
}

export interface OutboxStats {
  /** Events waiting to be published, parked ones aside. */
  readonly backlog: number;
  /** Events the broker refused OUTBOX_MAX_ATTEMPTS times, waiting for staff to retry them. */
  readonly parked: number;
  /** Age of the oldest unpublished event; 0 when there is none. */
  readonly oldestUnpublishedMs: number;
  readonly lastPublishedAt?: string;
  readonly lastError?: string;
}

/** Any fixed number shared by every instance: the relay that holds it publishes, the others wait. */
const RELAY_LOCK_ID = 4_271_002;
const MAX_BACKOFF_MS = 5_000;
const MAX_ROW_BACKOFF_MS = 5 * 60_000;
const CLEANUP_EVERY_MS = 60_000;

/**
 * Unpublished rows in id order, but none of an aggregate held back: one whose earlier row the broker
 * refused and is waiting out its backoff, or is parked. Other aggregates go on. An anti-join on the
 * failing-rows index: a list of held aggregates compared with each row cost PostgreSQL most of a
 * core per claim once thousands were parked (the bench, 2026-12-06).
 */
export const READY_ROWS = `
  select id, event_id, topic, aggregate_id, event_type, payload, occurred_at, trace_parent, sequence, attempts
  from outbox_events ready
  where published_at is null and parked_at is null and (attempts = 0 or next_attempt_at <= now())
    and not exists (
      select 1 from outbox_events held
      where held.aggregate_id = ready.aggregate_id and held.published_at is null and held.attempts > 0
        and (held.parked_at is not null or held.next_attempt_at > now()))
  order by id limit ?`;

interface Row {
  id: string;
  attempts: number;
  event_id: string;
  topic: string;
  aggregate_id: string;
  event_type: string;
  payload: Buffer;
  occurred_at: Date;
  trace_parent: string | null;
  sequence: string | null;
}

/**
 * Publishes outbox rows to Kafka in id order, at least once. Only the instance holding a
 * transaction-scoped advisory lock publishes, so one order's events are never sent by two
 * relays at once and keep their order; a batch is marked published in the same transaction
 * after Kafka acknowledged it (acks=all, idempotent producer), so a crash in between repeats
 * it rather than losing it. Woken by NOTIFY on commit; polls as a fallback; backs off while
 * Kafka is down. A row the broker refuses (its topic is missing, it is too large) holds back
 * only its own aggregate: it is retried with a backoff of its own and, after `maxAttempts`,
 * parked with its reason until staff retry it (outbox-retry.ts).
 */
export class OutboxRelay {
  private draining = false;
  private again = false;
  private backoffMs = 0;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  private state: OutboxStats = { backlog: 0, parked: 0, oldestUnpublishedMs: 0 };
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly orm: MikroORM,
    private readonly kafka: KafkaDelivery,
    private readonly listener: PgListener,
    private readonly options: RelayOptions,
    private readonly log: Logger,
    private readonly observer: RelayObserver = { published: () => undefined, failed: () => undefined, parked: () => undefined },
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

  /** Returns how many rows it tried (published or refused); 0 also when another relay holds the lock. */
  private async publishBatch(): Promise<number> {
    return this.orm.em.fork().transactional(async (tx) => {
      const [lock] = await query<{ locked: boolean }>(tx, `select pg_try_advisory_xact_lock(?) as locked`, [RELAY_LOCK_ID]);
      if (!lock?.locked) return 0;
      const rows = await query<Row>(tx, READY_ROWS, [this.options.batchSize]);
      if (!rows.length) return 0;
      const delivery = await this.kafka.deliver(rows.map(toOutboxRow));
      if (delivery.published.length) {
        await query(tx, `update outbox_events set published_at = now(), attempts = attempts + 1 where id = any(?::bigint[])`, [
          delivery.published.map((row) => row.id),
        ]);
        this.state = { ...this.state, lastPublishedAt: new Date().toISOString(), lastError: undefined };
        this.observer.published(delivery.published.length);
      }
      await this.markRefused(tx, rows, delivery.refused);
      return rows.length;
    });
  }

  /** Each refused row waits out its own backoff, or is parked once it has used its attempts. */
  private async markRefused(tx: EntityManager, rows: readonly Row[], refused: Delivery["refused"]): Promise<void> {
    const attemptsOf = new Map(rows.map((row) => [String(row.id), row.attempts]));
    for (const { row, reason } of refused) {
      const attempts = (attemptsOf.get(row.id) ?? 0) + 1;
      const park = attempts >= this.options.maxAttempts;
      const waitMs = Math.min(this.options.retryBackoffMs * 2 ** (attempts - 1), MAX_ROW_BACKOFF_MS);
      await query(
        tx,
        `update outbox_events set attempts = ?, last_error = ?, next_attempt_at = now() + make_interval(secs => ?),
           parked_at = case when ? then now() end where id = ?`,
        [attempts, reason, waitMs / 1000, park, row.id],
      );
      const fields = { eventId: row.eventId, aggregateId: row.aggregateId, topic: row.topic, attempts, reason };
      if (park) {
        this.observer.parked();
        this.log.error(fields, "outbox event parked: the broker refused it every time; its order's later events wait for a retry by staff");
      } else {
        this.observer.failed();
        this.log.warn({ ...fields, retryInMs: waitMs }, "the broker refused an outbox event; its order's later events wait, others go on");
      }
    }
  }

  private async measure(): Promise<void> {
    try {
      const [row] = await this.orm.em.fork().execute<{ backlog: number; parked: number; oldest_ms: number | null }[]>(
        `select count(*) filter (where parked_at is null)::int as backlog, count(parked_at)::int as parked,
           (extract(epoch from now() - min(occurred_at) filter (where parked_at is null)) * 1000)::float8 as oldest_ms
         from outbox_events where published_at is null`,
      );
      this.state = {
        ...this.state,
        backlog: row?.backlog ?? 0,
        parked: row?.parked ?? 0,
        oldestUnpublishedMs: Math.max(0, Math.round(row?.oldest_ms ?? 0)),
      };
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
    sequence: row.sequence === null ? null : String(row.sequence),
  };
}
