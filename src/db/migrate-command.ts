import type { Logger } from "pino";
import type { Config } from "../config.js";
import { migrate, openOrm } from "./orm.js";

/**
 * `node dist/src/main.js migrate`: applies pending migrations and exits, for an init container or
 * a Kubernetes Job that runs before the service (started then with MIGRATE_AT_START=false).
 * Instances that migrate at start instead queue on the same advisory lock, so either is safe.
 */
export async function runMigrations(config: Config, log: Logger): Promise<void> {
  if (!config.database.url) throw new Error("migrate needs DATABASE_URL: the embedded PostgreSQL migrates itself at start");
  const orm = await openOrm({ url: config.database.url, poolMax: 1, log });
  try {
    await migrate(orm, config.database.url, log);
  } finally {
    await orm.close();
  }
}
