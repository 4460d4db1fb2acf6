import { collectDefaultMetrics, Registry } from "prom-client";

/** One Prometheus registry per service instance, with Node's process metrics; served at /metrics. */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
