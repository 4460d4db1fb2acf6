import { afterAll, describe, expect, it } from "vitest";
import { query } from "../support/db.js";
import { startTsProcess, type RunningProcess } from "../support/processes.js";
import { freshDatabase, startTestApp } from "../support/test-app.js";
import { TEST_IDEMPOTENCY_KEY, TEST_JWT_SECRET } from "../support/tokens.js";

const logLines = (output: string): { msg?: string; time: number }[] =>
  output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { msg?: string; time: number });

/** Migrations run by `main.js migrate` (an init container or the Kubernetes Job) instead of at start. */
describe("migrations as a job of their own", () => {
  const started: RunningProcess[] = [];
  // A `migrate` that does not exit (it started the service instead) must not outlive the test.
  afterAll(() => Promise.all(started.filter((p) => p.child.exitCode === null).map((p) => p.kill("SIGKILL"))));
  const migrate = (databaseUrl: string) => {
    const process = startTsProcess(
      "src/main.ts",
      { DATABASE_URL: databaseUrl, JWT_SECRET: TEST_JWT_SECRET, IDEMPOTENCY_HASH_KEY: TEST_IDEMPOTENCY_KEY, LOG_LEVEL: "info" },
      ["migrate"],
    );
    started.push(process);
    return process;
  };

  it("when the service starts with MIGRATE_AT_START=false before they ran, then it refuses, naming the migrate command", async () => {
    const databaseUrl = await freshDatabase();
    await expect(startTestApp({ MIGRATE_AT_START: "false" }, { databaseUrl })).rejects.toThrow(
      /pending migrations .*run the migrate command/,
    );
    expect(await query(databaseUrl, `select 1 from information_schema.tables where table_name = 'orders'`)).toEqual([]);
  });

  it("when `migrate` runs, then it applies them and exits 0, a second run finds nothing to do, and the service starts without migrating", async () => {
    const databaseUrl = await freshDatabase();
    const first = migrate(databaseUrl);
    expect(await first.exited, first.output.join("")).toEqual({ code: 0, signal: null });
    // Two log lines may reach the pipe out of order; their own timestamps tell which came first.
    const lines = logLines(first.output.join(""));
    const applied = lines.find((l) => l.msg === "migrations applied");
    const upToDate = lines.find((l) => l.msg === "migrations are up to date");
    expect(applied, first.output.join("")).toBeDefined();
    expect(upToDate, first.output.join("")).toBeDefined();
    expect(applied!.time).toBeLessThanOrEqual(upToDate!.time);
    const second = migrate(databaseUrl);
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.output.join("")).not.toContain("migrations applied");

    const app = await startTestApp({ MIGRATE_AT_START: "false" }, { databaseUrl });
    try {
      expect((await fetch(`http://127.0.0.1:${app.httpPort}/readyz`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
