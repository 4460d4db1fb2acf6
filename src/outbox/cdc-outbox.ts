import type { MikroORM } from "@mikro-orm/postgresql";
import { Gauge, type Registry } from "prom-client";
import type { Logger } from "pino";

export interface CdcOptions {
  readonly slotName: string;
  readonly retentionMs: number;
  /** How often the slot is measured. */
  readonly pollMs: number;
}

export interface CdcStats {
  readonly publisher: "debezium";
  /** The slot exists: Debezium's connector was registered against this database. */
  readonly slotFound: boolean;
  /** A connector is reading from the slot right now. */
  readonly slotActive: boolean;
  /** WAL the slot holds back: written but not yet confirmed by Debezium. */
  readonly slotLagBytes: number;
}

const CLEANUP_EVERY_MS = 60_000;
const HEARTBEATS_KEPT = "1 hour";

/**
 * The outbox's side of OUTBOX_PUBLISHER=debezium. Debezium reads the outbox's inserts from the WAL
 * and publishes them, so nothing here publishes or marks rows: this measures Debezium's
 * replication slot (it holds WAL until Debezium confirms it) and deletes rows past the
 * retention, by when they were written, and old heartbeats. Deletes are not in the publication,
 * so they emit nothing.
 */
export class CdcOutbox {
  private state: CdcStats = { publisher: "debezium", slotFound: false, slotActive: false, slotLagBytes: 0 };
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly orm: MikroORM,
    private readonly options: CdcOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timers.push(
      setInterval(() => void this.measure(), this.options.pollMs),
      setInterval(() => void this.cleanUp(), CLEANUP_EVERY_MS),
    );
    this.timers.forEach((timer) => timer.unref());
    void this.measure();
  }

  stop(): void {
    this.timers.forEach(clearInterval);
  }

  get stats(): CdcStats {
    return this.state;
  }

  registerMetrics(registry: Registry): void {
    const stats = () => this.state;
    new Gauge({
      name: "outbox_cdc_slot_lag_bytes",
      help: "WAL held by Debezium's replication slot: written, not yet confirmed as published (OUTBOX_PUBLISHER=debezium)",
      registers: [registry],
      collect() {
        this.set(stats().slotLagBytes);
      },
    });
    new Gauge({
      name: "outbox_cdc_slot_active",
      help: "1 while a Debezium connector reads the outbox's replication slot, 0 when none does or the slot is missing",
      registers: [registry],
      collect() {
        this.set(stats().slotActive ? 1 : 0);
      },
    });
  }

  async measure(): Promise<void> {
    try {
      const [slot] = await this.orm.em.fork().execute<{ active: boolean; lag: string | null }[]>(
        `select active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint::text as lag
           from pg_replication_slots where slot_name = ?`,
        [this.options.slotName],
      );
      this.state = {
        publisher: "debezium",
        slotFound: Boolean(slot),
        slotActive: slot?.active ?? false,
        slotLagBytes: Number(slot?.lag ?? 0),
      };
    } catch (error) {
      this.log.warn({ err: error }, "could not measure Debezium's replication slot");
    }
  }

  private async cleanUp(): Promise<void> {
    try {
      const em = this.orm.em.fork();
      await em.execute(
        `delete from outbox_events where id in (
           select id from outbox_events where occurred_at < now() - make_interval(secs => ?) limit 10000)`,
        [this.options.retentionMs / 1000],
      );
      await em.execute(`delete from outbox_heartbeat where beat_at < now() - interval '${HEARTBEATS_KEPT}'`);
    } catch (error) {
      this.log.warn({ err: error }, "could not delete old outbox events and heartbeats");
    }
  }
}
