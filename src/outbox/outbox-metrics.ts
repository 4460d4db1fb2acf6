import { Counter, Gauge, type Registry } from "prom-client";
import type { OutboxStats } from "./outbox-relay.js";

export interface RelayObserver {
  published(count: number): void;
  failed(): void;
  parked(): void;
}

/** Backlog and lag are read from the relay's last measurement when Prometheus scrapes. */
export function registerOutboxMetrics(registry: Registry, stats: () => OutboxStats): RelayObserver {
  new Gauge({
    name: "outbox_backlog_events",
    help: "Events committed but not yet published to Kafka",
    registers: [registry],
    collect() {
      this.set(stats().backlog);
    },
  });
  new Gauge({
    name: "outbox_oldest_unpublished_seconds",
    help: "Age of the oldest unpublished event: the publish lag",
    registers: [registry],
    collect() {
      this.set(stats().oldestUnpublishedMs / 1000);
    },
  });
  new Gauge({
    name: "outbox_parked_events",
    help: "Events the broker refused OUTBOX_MAX_ATTEMPTS times, waiting for staff to retry them (RetryOrderEvents)",
    registers: [registry],
    collect() {
      this.set(stats().parked);
    },
  });
  const parked = new Counter({
    name: "outbox_parked_events_total",
    help: "Events parked since the process started",
    registers: [registry],
  });
  const published = new Counter({ name: "outbox_published_events_total", help: "Events published to Kafka", registers: [registry] });
  const failures = new Counter({
    name: "outbox_publish_failures_total",
    help: "Publish attempts that failed and were retried",
    registers: [registry],
  });
  return { published: (count) => published.inc(count), failed: () => failures.inc(), parked: () => parked.inc() };
}
