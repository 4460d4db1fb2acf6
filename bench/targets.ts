/**
 * Issue 35's targets, each with what this run measured and whether it was met: ratios to the
 * floors measured in the same run. CPU per call is the closed-loop run's (the maximum), the load
 * the floors' CPU was measured under; p99s are compared at the same offered rate.
 */
import type { FloorName, FloorRun } from "./floor-limits.js";
import type { BenchReport, ScenarioRun } from "./report.js";

export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** PostgreSQL's CPU per 3-item order on 2026-12-04 (issue 35), the figure its target is 0.7x of. */
const POSTGRES_MS_PER_ORDER_BEFORE = 2.4;

/** A scenario's closed-loop run: its maximum, and the CPU per call compared everywhere. */
export const maxOf = (report: BenchReport, scenario: string) =>
  report.runs.find((r) => r.scenario === scenario && r.mode.startsWith("closed"))!;
const openAt = (report: BenchReport, scenario: string, rate?: number) =>
  report.runs.find((r) => r.scenario === scenario && r.mode === "open" && (rate === undefined || r.targetPerSecond === rate))!;
/** The floor's open-loop run at `rate`, if the run measured one. */
export const floorAt = (report: BenchReport, name: FloorName, rate: number | undefined): FloorRun | undefined =>
  report.floorsOpen.find((f) => f.name === name && f.targetPerSecond === rate);
const cpu = (run: ScenarioRun) => run.serviceCpuMsPer1000 / 1000;
const times = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
const pct = (a: number, b: number) => `${Math.round((100 * a) / b)}%`;
const failures = (run: { failed: boolean; errors: Record<string, number>; notSent: number }) =>
  (run.failed ? `; FAILED: ${Object.values(run.errors).reduce((a, b) => a + b, 0)} calls failed or shed` : "") +
  (run.notSent ? `; INCOMPLETE: ${run.notSent} calls the generator could not make` : "");
const clean = (run: { failed: boolean; notSent: number }) => !run.failed && !run.notSent;

function cpuTarget(report: BenchReport, scenario: string, name: FloorName, what: string): TargetResult {
  const run = maxOf(report, scenario);
  const floor = report.floors[name]!;
  return {
    target: `${what} service CPU per call <= 1.5x its floor's`,
    measured: `${cpu(run)} ms vs ${floor.cpuMsPerCall} ms = ${times(cpu(run), floor.cpuMsPerCall)}`,
    met: cpu(run) <= 1.5 * floor.cpuMsPerCall,
  };
}

function maxTarget(report: BenchReport, scenario: string, name: FloorName, share: number): TargetResult {
  const run = maxOf(report, scenario);
  const floor = report.floors[name]!;
  return {
    target: `${scenario} maximum >= ${share * 100}% of its floor's`,
    measured: `${run.achievedPerSecond}/s = ${pct(run.achievedPerSecond, floor.achievedPerSecond)} of ${floor.achievedPerSecond}/s${failures(run)}`,
    met: clean(run) && run.achievedPerSecond >= share * floor.achievedPerSecond,
  };
}

function p99Target(report: BenchReport, scenario: string, name: FloorName, rate: number | undefined, at: string): TargetResult {
  const run = openAt(report, scenario, rate);
  const floor = floorAt(report, name, run.targetPerSecond);
  return {
    target: `${scenario} p99 at ${at} <= 1.5x its floor's p99 at that rate`,
    measured: floor
      ? `${run.p99Ms} ms vs ${floor.p99Ms} ms at ${run.targetPerSecond}/s = ${times(run.p99Ms, floor.p99Ms)}${failures(run)}${failures(floor)}`
      : `${run.p99Ms} ms at ${run.targetPerSecond}/s; the floor was not measured at that rate`,
    met: !!floor && clean(run) && clean(floor) && run.p99Ms <= 1.5 * floor.p99Ms,
  };
}

export function targets(report: BenchReport): TargetResult[] {
  const create = maxOf(report, "CreateOrder (3 items)");
  const { mix, mixBefore } = report;
  const [atMax] = report.outbox;
  const ghzCreate = report.ghz.find((g) => g.scenario.startsWith("CreateOrder"));
  const ghzGet = report.ghz.find((g) => g.scenario.startsWith("GetOrder"));
  const ghzApart = (g: typeof ghzGet, scenario: string) => {
    if (!g) return undefined;
    const ours = cpu(maxOf(report, scenario));
    return Math.abs(g.serviceCpuMsPerCall - ours) / Math.min(g.serviceCpuMsPerCall, ours);
  };
  const apart = [ghzApart(ghzGet, "GetOrder"), ghzApart(ghzCreate, "CreateOrder (3 items)")];
  const postgresPerOrder = create.postgresCpuMsPer1000 / 1000;
  return [
    cpuTarget(report, "GetOrder", "read", "GetOrder"),
    maxTarget(report, "GetOrder", "read", 0.8),
    p99Target(report, "GetOrder", "read", 1000, "1,000/s offered"),
    cpuTarget(report, "CreateOrder (3 items)", "write", "CreateOrder"),
    maxTarget(report, "CreateOrder (3 items)", "write", 0.75),
    p99Target(report, "CreateOrder (3 items)", "write", undefined, "half its maximum"),
    cpuTarget(report, "Cart AddItem", "addItem", "Cart AddItem"),
    cpuTarget(report, "ListOrders (page of 20)", "list", "ListOrders (page of 20)"),
    {
      target: `Storefront mix: the highest rate held ${Math.round(mix.hold.seconds / 60)} min (no errors, p99 < 50 ms) >= 1.3x the build before's, measured the same day`,
      measured: mixBefore
        ? `${mix.heldRate}/s vs ${mixBefore.heldRate}/s before = ${mixBefore.heldRate ? times(mix.heldRate, mixBefore.heldRate) : "none held before"}`
        : `${mix.heldRate}/s held; the build before was not measured today (npm run bench:mix -- before)`,
      met: !!mixBefore && mix.hold.seconds >= 590 && mix.heldRate >= 1.3 * mixBefore.heldRate && mix.heldRate > 0,
    },
    {
      target: "After the mix: RSS < 250 MiB, and no growth over its last half (under 8 MiB by least squares, as bench:soak)",
      measured: `${report.memory.afterMixRssMiB} MiB (peak ${report.memory.peakRssMiB}), grew ${report.memory.lastHalfGrowthMiB} MiB over the last half`,
      met: report.memory.afterMixRssMiB < 250 && report.memory.lastHalfGrowthMiB <= 8,
    },
    {
      target: `PostgreSQL CPU per 3-item order <= 0.7x the ${POSTGRES_MS_PER_ORDER_BEFORE} ms of 2026-12-04`,
      measured: `${postgresPerOrder} ms (write floor: ${report.floors.write!.postgresCpuMsPerCall} ms) = ${times(postgresPerOrder, POSTGRES_MS_PER_ORDER_BEFORE)}`,
      met: postgresPerOrder <= 0.7 * POSTGRES_MS_PER_ORDER_BEFORE,
    },
    {
      target: "Outbox commit-to-Kafka p99 < 100 ms at CreateOrder's maximum, the relay sharing the box",
      measured: `${atMax!.p99Ms} ms (${atMax!.load}; ${atMax!.missing} missing)`,
      met: atMax!.p99Ms < 100 && atMax!.missing === 0,
    },
    {
      target: "ghz and this generator within 20% on service CPU per call (GetOrder, CreateOrder)",
      measured: apart.map((d) => (d === undefined ? "not run" : pct(d, 1))).join(", "),
      met: apart.every((d) => d !== undefined && d <= 0.2),
    },
  ];
}
