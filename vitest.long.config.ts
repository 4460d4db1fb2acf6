import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/**
 * The long suite (`npm run test:long`, CI): stock conservation for minutes, hundreds of hostile
 * inputs per method, Kafka down for 30 s under load, three relays with one killed, and Debezium under faults. One file at a time: the outage test
 * measures how the relay drains a backlog, which a neighbour's load on two cores only blurs.
 */
export default defineConfig({
  test: {
    ...base.test,
    include: [
      "test/reliability/stock-conservation.test.ts",
      "test/reliability/hostile-input.test.ts",
      "test/events/kafka-outage.test.ts",
      "test/events/relay-replicas.test.ts",
      "test/events/debezium-faults.test.ts",
      "test/security/auth-failure-flood.test.ts",
    ],
    exclude: [],
    fileParallelism: false,
  },
});
