/**
 * Issue 22's targets, each with what this run measured and whether it was met. CPU per call is
 * the closed-loop run's (the maximum), the same load the floors were measured under.
 */
import type { BenchReport, ScenarioRun } from "./report.js";

export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** A scenario's closed-loop run: its maximum, and the CPU per call compared everywhere. */
export const maxOf = (report: BenchReport, scenario: string) =>
  report.runs.find((r) => r.scenario === scenario && r.mode.startsWith("closed"))!;
const openAt = (report: BenchReport, scenario: string, rate?: number) =>
  report.runs.find((r) => r.scenario === scenario && r.mode === "open" && (rate === undefined || r.targetPerSecond === rate))!;
const cpu = (run: ScenarioRun) => run.serviceCpuMsPer1000 / 1000;
const times = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const pct = (a: number, b: number) => `${Math.round((100 * a) / b)}%`;
const failures = (run: ScenarioRun) =>
  run.failed ? `; FAILED: ${Object.values(run.errors).reduce((a, b) => a + b, 0)} calls failed or shed` : "";

export function targets(report: BenchReport): TargetResult[] {
  const { read, write } = report.floors;
  const create = maxOf(report, "CreateOrder (3 items)");
  const createHalf = openAt(report, "CreateOrder (3 items)");
  const get = maxOf(report, "GetOrder");
  const get1000 = openAt(report, "GetOrder", 1000);
  const add = maxOf(report, "Cart AddItem");
  const checkout = maxOf(report, "Cart Checkout (2 items)");
  const mix = report.runs.find((r) => r.scenario === "Storefront mix")!;
  const pgbench = report.limits.pgbench.perSecond;
  const [atMax, , idle] = report.outbox;
  const lag = (l: NonNullable<typeof atMax>) => `${l.p99Ms} ms (${l.load}; ${l.missing} missing)`;
  return [
    {
      target: "GetOrder service CPU per call <= 1.5x the read floor's",
      measured: `${cpu(get)} ms vs ${read.cpuMsPerCall} ms = ${times(cpu(get), read.cpuMsPerCall)}`,
      met: cpu(get) <= 1.5 * read.cpuMsPerCall,
    },
    {
      target: "GetOrder maximum >= 70% of the read floor's",
      measured: `${get.achievedPerSecond}/s = ${pct(get.achievedPerSecond, read.achievedPerSecond)} of ${read.achievedPerSecond}/s${failures(get)}`,
      met: !get.failed && get.achievedPerSecond >= 0.7 * read.achievedPerSecond,
    },
    {
      target: "GetOrder p99 < 10 ms at 1,000/s offered",
      measured: `${get1000.p99Ms} ms, ${get1000.achievedPerSecond}/s answered${failures(get1000)}`,
      met: !get1000.failed && get1000.p99Ms < 10,
    },
    {
      target: "CreateOrder service CPU per order <= 1.5x the write floor's",
      measured: `${cpu(create)} ms vs ${write.cpuMsPerCall} ms = ${times(cpu(create), write.cpuMsPerCall)}`,
      met: cpu(create) <= 1.5 * write.cpuMsPerCall,
    },
    {
      target: "CreateOrder: the catalog's CPU per order no more than in the write floor's run",
      measured: `${create.catalogCpuMsPer1000 / 1000} ms vs ${write.catalogCpuMsPerCall} ms = ${times(create.catalogCpuMsPer1000 / 1000, write.catalogCpuMsPerCall)}`,
      // The same catalog serves both; 5% is the run-to-run spread of one process's CPU per call here.
      met: create.catalogCpuMsPer1000 / 1000 <= 1.05 * write.catalogCpuMsPerCall,
    },
    {
      target: "CreateOrder maximum >= 50% of the pgbench ceiling",
      measured: `${create.achievedPerSecond}/s = ${pct(create.achievedPerSecond, pgbench)} of ${pgbench}/s${failures(create)}`,
      met: !create.failed && create.achievedPerSecond >= pgbench / 2,
    },
    {
      target: "CreateOrder p99 < 25 ms at half its maximum",
      measured: `${createHalf.p99Ms} ms at ${createHalf.targetPerSecond}/s${failures(createHalf)}`,
      met: !createHalf.failed && createHalf.p99Ms < 25,
    },
    {
      target: "Cart AddItem service CPU per call <= 1.5x GetOrder's",
      measured: `${cpu(add)} ms vs ${cpu(get)} ms = ${times(cpu(add), cpu(get))}`,
      met: cpu(add) <= 1.5 * cpu(get),
    },
    {
      target: "Cart Checkout service CPU per call <= 1.5x CreateOrder's",
      measured: `${cpu(checkout)} ms vs ${cpu(create)} ms = ${times(cpu(checkout), cpu(create))}`,
      met: cpu(checkout) <= 1.5 * cpu(create),
    },
    {
      target: `Storefront mix at ${mix.targetPerSecond}/s for ${Math.round(mix.seconds / 60)} min: p99 < 25 ms, no errors`,
      measured: `p99 ${mix.p99Ms} ms, ${mix.achievedPerSecond}/s answered${failures(mix)}`,
      met: !mix.failed && mix.p99Ms < 25 && mix.seconds >= 590,
    },
    {
      target: "After the mix: RSS < 250 MiB, and no growth over its last half (under 8 MiB by least squares, as bench:soak)",
      measured: `${report.memory.afterMixRssMiB} MiB (peak ${report.memory.peakRssMiB}), grew ${report.memory.lastHalfGrowthMiB} MiB over the last half`,
      met: report.memory.afterMixRssMiB < 250 && report.memory.lastHalfGrowthMiB <= 8,
    },
    {
      target: "Outbox commit-to-Kafka p99 < 100 ms, 500 events/s written to the outbox",
      measured: lag(idle!),
      met: idle!.p99Ms < 100 && idle!.missing === 0,
    },
    {
      target: "Outbox commit-to-Kafka p99 < 100 ms at CreateOrder's maximum, the relay sharing the box",
      measured: lag(atMax!),
      met: atMax!.p99Ms < 100 && atMax!.missing === 0,
    },
  ];
}
