import { defineConfig } from "vitest/config";
import base, { longParallel, longSerial } from "./vitest.config.js";

/**
 * The long suite (`npm run test:long`, CI): stock conservation for minutes, hundreds of hostile
 * inputs per method, the service killed and restarted, Kafka down for 30 s under load, three
 * relays with one killed, and Debezium under faults. All of it one file at a time by default;
 * LONG_SUITE=parallel runs the files that may share the cores two at a time, LONG_SUITE=serial
 * the rest (CI runs the two one after the other).
 */
const part = process.env.LONG_SUITE;

export default defineConfig({
  test: {
    ...base.test,
    include: part === "parallel" ? longParallel : part === "serial" ? longSerial : [...longParallel, ...longSerial],
    exclude: [],
    fileParallelism: part === "parallel",
  },
});
