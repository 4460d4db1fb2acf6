import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Minutes long: `npm run test:long` (CI runs both).
    exclude: [
      "test/reliability/stock-conservation.test.ts",
      "test/events/kafka-outage.test.ts",
      "test/events/relay-replicas.test.ts",
      "test/events/debezium-faults.test.ts",
      "test/security/auth-failure-flood.test.ts",
    ],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Component tests each start the service against one shared PostgreSQL and Kafka; two cores.
    maxWorkers: 2,
    // Memory checks force a full collection before they measure.
    execArgv: ["--expose-gc"],
  },
});
