import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A port nobody holds right now, so a process can be restarted on the same one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** What it printed (stdout and stderr), for assertions and for failure messages. */
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs one of the repo's TypeScript entry points (src/main.ts, the reference catalog) as its own Node process. */
export function startTsProcess(script: string, env: Record<string, string>, args: string[] = []): RunningProcess {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    env: { ...process.env, NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 2_000) output.splice(0, 1_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output,
    exited,
    kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}

/** Waits until `url` answers 200, or fails with the process's last output. */
export async function waitUntilReady(process: RunningProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null) break;
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`not ready at ${url}:\n${process.output.join("").slice(-3_000)}`);
}

/** Waits until the process printed a line containing `text`. */
export async function waitForOutput(process: RunningProcess, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!process.output.join("").includes(text)) {
    if (Date.now() > deadline || process.child.exitCode !== null)
      throw new Error(`never printed "${text}":\n${process.output.join("").slice(-3_000)}`);
    await sleep(100);
  }
}
