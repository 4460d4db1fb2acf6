import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startTsProcess, waitUntilReady, type RunningProcess } from "../support/processes.js";

/** A development instance as `npm start` runs it: embedded PostgreSQL under DATA_DIR, no Kafka. */
async function developmentInstance(dataDir: string, pgPort: number) {
  const httpPort = await freePort();
  const env = {
    DATABASE_URL: "",
    KAFKA_BROKERS: "",
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(pgPort),
    HTTP_PORT: String(httpPort),
    GRPC_PORT: String(await freePort()),
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
  };
  return { process: startTsProcess("src/main.ts", env), readyz: `http://127.0.0.1:${httpPort}/readyz` };
}

function postgresPid(dataDir: string): number | undefined {
  const file = join(dataDir, "postgres", "postmaster.pid");
  return existsSync(file) ? Number(readFileSync(file, "utf8").split("\n")[0]) : undefined;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("crash: a development instance killed with SIGKILL, and started again on the same data", () => {
  // Not mkdtemp: its 0700 would keep out the "postgres" user the package runs PostgreSQL as under root.
  const dataDir = join(tmpdir(), `dev-restart-${randomUUID()}`);
  mkdirSync(dataDir);
  const running: RunningProcess[] = [];
  afterAll(async () => {
    for (const instance of running) if (instance.child.exitCode === null) await instance.kill("SIGTERM");
    const pid = postgresPid(dataDir);
    if (pid && alive(pid)) process.kill(pid, "SIGINT");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("when the instance is SIGKILLed, its PostgreSQL outlives it; then the next start stops that one, becomes ready, and a second instance on the same data is refused with its cause", async () => {
    const pgPort = await freePort();
    const first = await developmentInstance(dataDir, pgPort);
    running.push(first.process);
    await waitUntilReady(first.process, first.readyz, 120_000);
    const orphan = postgresPid(dataDir)!;
    await first.process.kill("SIGKILL");
    expect(alive(orphan), "PostgreSQL outlived the killed service").toBe(true);

    const second = await developmentInstance(dataDir, pgPort);
    running.push(second.process);
    await waitUntilReady(second.process, second.readyz, 60_000);
    expect(alive(orphan)).toBe(false);
    expect(second.process.output.join("")).toContain("stopping the embedded PostgreSQL that an instance which died left running");

    const third = await developmentInstance(dataDir, await freePort());
    running.push(third.process);
    expect((await third.process.exited).code).toBe(1);
    const said = third.process.output.join("");
    expect(said).toMatch(/could not start: .*is in use by PostgreSQL \(pid \d+\) of a running process/);
    await expect(fetch(second.readyz).then((r) => r.status)).resolves.toBe(200);

    const current = postgresPid(dataDir)!;
    expect((await second.process.kill("SIGTERM")).code).toBe(0);
    expect(alive(current), "a clean stop takes PostgreSQL with it").toBe(false);
  }, 240_000);
});
