import { defineConfig } from "vitest/config";

/**
 * The long suite's files. The first group may share the cores: they check invariants and count
 * outcomes, with no latency bound. The second runs one file at a time: the outage test measures
 * how the relay drains a backlog, and the console waits on a browser, which a neighbour's load on
 * two cores only blurs.
 */
export const longParallel = [
  "test/reliability/stock-conservation.test.ts",
  "test/reliability/hostile-input.test.ts",
  "test/security/auth-failure-flood.test.ts",
  "test/reliability/crash.test.ts",
  "test/reliability/refund-crash.test.ts",
  "test/reliability/checkout-chaos.test.ts",
  "test/reliability/postgres-restart.test.ts",
  "test/reliability/embedded-restart.test.ts",
  "test/reliability/fulfilment-move-crash.test.ts",
  "test/reliability/graceful-shutdown.test.ts",
];
export const longSerial = [
  "test/events/kafka-outage.test.ts",
  "test/events/relay-replicas.test.ts",
  "test/events/debezium-faults.test.ts",
  // Its steps wait on the page with bounded waits; beside stock conservation one ran out (CI, 2026-12-06).
  "test/web/staff-console.test.ts",
];
/** Also in `npm test`, with 20 inputs per method rather than the long suite's 200. */
const inBoth = "test/reliability/hostile-input.test.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Minutes long, or a process killed and started again: `npm run test:long` (CI runs both).
    exclude: [...longParallel, ...longSerial].filter((file) => file !== inBoth),
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Component tests each start the service against one shared PostgreSQL and Kafka; two cores.
    maxWorkers: 2,
    // Memory checks force a full collection before they measure.
    execArgv: ["--expose-gc"],
  },
});
