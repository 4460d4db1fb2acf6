import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { pino } from "pino";
import { startEmbeddedPostgres } from "../../src/db/embedded-postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    kafkaBrokers: string;
  }
}

const KAFKA_TEST_PORT = "19092";

/**
 * One real PostgreSQL and one real Kafka for the whole run. DATABASE_URL / KAFKA_BROKERS reuse
 * servers that are already up (CI starts Kafka itself); otherwise this starts them.
 */
export default async function setup(project: TestProject) {
  const log = pino({ level: "warn" });
  const stops: (() => Promise<void> | void)[] = [];

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const dataDir = join(tmpdir(), `order-service-test-${process.pid}`);
    rmSync(dataDir, { recursive: true, force: true });
    const db = await startEmbeddedPostgres({ dataDir, port: 54339, log });
    databaseUrl = db.url;
    stops.push(async () => {
      await db.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
  }

  let kafkaBrokers = process.env.KAFKA_BROKERS;
  if (!kafkaBrokers) {
    const env = {
      ...process.env,
      KAFKA_PORT: KAFKA_TEST_PORT,
      KAFKA_CONTROLLER_PORT: "19093",
      KAFKA_DIR: join(tmpdir(), "order-service-test-kafka"),
    };
    execFileSync("bash", ["scripts/kafka.sh", "start"], { env, stdio: "inherit" });
    kafkaBrokers = `127.0.0.1:${KAFKA_TEST_PORT}`;
    stops.push(() => void execFileSync("bash", ["scripts/kafka.sh", "stop"], { env, stdio: "inherit" }));
  }

  project.provide("databaseUrl", databaseUrl);
  project.provide("kafkaBrokers", kafkaBrokers);
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
