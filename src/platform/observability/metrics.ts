import type { Pool } from "pg";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";

/** One Prometheus registry per service instance, with Node's process metrics; served at /metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Connections of the ORM's pool: in use is total minus idle; waiting are callers queued for one. */
export function registerPoolMetrics(registry: Registry, pool: Pool): void {
  new Gauge({
    name: "db_pool_connections",
    help: "PostgreSQL pool connections by state",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.set({ state: "total" }, pool.totalCount);
      this.set({ state: "idle" }, pool.idleCount);
      this.set({ state: "in_use" }, pool.totalCount - pool.idleCount);
      this.set({ state: "waiting" }, pool.waitingCount);
    },
  });
}

/** Failed authentications: refused as such, or past AUTH_FAILURES_PER_MINUTE from their address (limited). */
export function registerAuthMetrics(registry: Registry): (outcome: "unauthenticated" | "limited") => void {
  const failures = new Counter({
    name: "auth_failures_total",
    help: "Calls whose authentication failed, by outcome: unauthenticated, or limited (RESOURCE_EXHAUSTED past the failure limit)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const series = { unauthenticated: failures.labels({ outcome: "unauthenticated" }), limited: failures.labels({ outcome: "limited" }) };
  return (outcome) => series[outcome].inc();
}
