import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import * as grpc from "@grpc/grpc-js";

export type Client = InstanceType<ReturnType<typeof grpc.makeGenericClientConstructor>>;

export function call<T>(client: Client, method: string, request: unknown, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) =>
    client[method]!(request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** utime + stime of one process, in ms (Linux /proc; clock ticks are 100 Hz). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU of a process and its children, in ms: the postmaster and its backends, for PostgreSQL's own
 * cost per call. A child that exited was added to its parent's cutime and cstime when reaped, so
 * connections that come and go are counted too.
 */
export function treeCpuMs(rootPid: number): number {
  const statOf = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const root = statOf(rootPid);
  let ms = (Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14])) * 10;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = statOf(entry);
      if (Number(fields[1]) === rootPid) ms += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // Exited while listed: its time is in the parent's cutime now or at its next reaping.
    }
  }
  return ms;
}

/** Starts counting the CPU of the process tree under `rootPid` (treeCpuMs); the function it returns gives ms per call since. */
export function treeCpuMeter(rootPid: number): (calls: number) => number {
  const start = treeCpuMs(rootPid);
  return (calls) => (treeCpuMs(rootPid) - start) / Math.max(calls, 1);
}

/** Starts counting the CPU of `pids`; the function it returns gives each one's ms per call since. */
export function cpuMeter(...pids: number[]): (calls: number) => number[] {
  const start = pids.map(cpuMs);
  return (calls) => pids.map((pid, k) => (cpuMs(pid) - start[k]!) / Math.max(calls, 1));
}

/**
 * Busy, stolen and total jiffies of the whole machine, to report how many cores a run kept busy
 * and how much CPU the hypervisor gave to other guests (on a shared VM the same code measures
 * slower when its neighbours are busy; steal shows when that happened).
 */
export function machineCpu(): { busy: number; steal: number; total: number } {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal; guest time is already counted in user.
  const values = fields.slice(0, 8).map(Number);
  const idle = values[3]! + values[4]!;
  const steal = values[7] ?? 0;
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - idle - steal, steal, total };
}

/** Resident memory now and its peak since the process started, in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: Math.round(kib("VmRSS") / 1024), peak: Math.round(kib("VmHWM") / 1024) };
}

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

export const machine = () => `${cpus().length} cores, ${cpus()[0]?.model.trim()}, Node ${process.version}`;

/** The middle value (the upper one of an even count), to three decimals. */
export const median = (values: number[]) => +[...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!.toFixed(3);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface RssSample {
  readonly minute: number;
  readonly rssMiB: number;
}

/** The process's RSS every 10 s until `stop`. */
export function sampleRss(pid: () => number): { samples: RssSample[]; stop: () => void } {
  const samples: RssSample[] = [];
  const started = Date.now();
  const timer = setInterval(
    () => samples.push({ minute: +((Date.now() - started) / 60_000).toFixed(2), rssMiB: memoryMiB(pid()).rss }),
    10_000,
  );
  return { samples, stop: () => clearInterval(timer) };
}

/**
 * How much RSS grew over the second half of the samples: the least-squares slope times the
 * half's duration, so one spike at either end does not decide it.
 */
export function lastHalfGrowthMiB(samples: readonly RssSample[]): number {
  const half = samples.slice(Math.floor(samples.length / 2));
  if (half.length < 2) return 0;
  const meanX = half.reduce((sum, s) => sum + s.minute, 0) / half.length;
  const meanY = half.reduce((sum, s) => sum + s.rssMiB, 0) / half.length;
  const slope =
    half.reduce((sum, s) => sum + (s.minute - meanX) * (s.rssMiB - meanY), 0) / half.reduce((sum, s) => sum + (s.minute - meanX) ** 2, 0);
  return +(slope * (half.at(-1)!.minute - half[0]!.minute)).toFixed(1);
}

/**
 * Waits until the process tree under `rootPid` (PostgreSQL) is idle: under 5% of a core for 3 s in
 * a row, or `maxSeconds` passed. What an earlier stage left behind (a relay working off a backlog,
 * autovacuum after a burst of writes) is then not counted as the next run's cost: the mix of
 * 2026-12-06 held 9/s inside the full bench, with PostgreSQL spending 122 ms of CPU per call,
 * and 300/s on a fresh stack. Returns the seconds waited.
 */
export async function settle(rootPid: number, maxSeconds = 120): Promise<number> {
  const started = Date.now();
  let quiet = 0;
  let last = treeCpuMs(rootPid);
  while (quiet < 3 && Date.now() - started < maxSeconds * 1000) {
    await sleep(1000);
    const now = treeCpuMs(rootPid);
    quiet = now - last < 50 ? quiet + 1 : 0;
    last = now;
  }
  return Math.round((Date.now() - started) / 1000);
}
