import type { AblationRow } from "./ablation.js";
import type { PublisherRun } from "./publishers.js";
import type { FloorName, FloorRun } from "./floor-limits.js";
import type { MixResult } from "./mix.js";
import type { GhzRun } from "./ghz.js";
import type { LoadOutcome } from "./load.js";
import { floorAt, maxOf, targets } from "./targets.js";

export interface ScenarioRun extends LoadOutcome {
  readonly scenario: string;
  readonly serviceCpuMsPer1000: number;
  readonly catalogCpuMsPer1000: number;
  /** PostgreSQL's (the postmaster and its backends). */
  readonly postgresCpuMsPer1000: number;
  /** Of the machine's two cores, how many were busy on average (service, catalog, PostgreSQL, Kafka, this generator). */
  readonly busyCores: number;
  /** Share of the machine's CPU time the hypervisor gave to other guests during the run. */
  readonly stealPercent: number;
  readonly serviceRssMiB: number;
}

interface Lag {
  readonly load: string;
  readonly events: number;
  readonly missing: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface BenchReport {
  readonly machine: string;
  readonly date: string;
  readonly seconds: number;
  readonly limits: {
    readonly echo: { perSecond: number; p50Ms: number; p99Ms: number; serverCpuMsPerCall: number };
    readonly pgbench: { perSecond: number; averageLatencyMs: number; clients: number };
    readonly pgbenchWithoutNotify: { perSecond: number; averageLatencyMs: number; clients: number };
  };
  /** Each floor's closed loop: its maximum and CPU per call. */
  readonly floors: Partial<Record<FloorName, FloorRun>>;
  /** Each floor at the rates of its scenario's open-loop runs, measured after the scenarios with the service idle. */
  readonly floorsOpen: (FloorRun & { name: FloorName })[];
  readonly mix: MixResult<ScenarioRun>;
  /** The same mix search on the build before this issue's cuts, the same day (bench/mix.ts), if it ran. */
  readonly mixBefore?: MixResult & { date: string; machine: string };
  readonly ablation: AblationRow[];
  readonly ghz: GhzRun[];
  readonly runs: ScenarioRun[];
  readonly outbox: Lag[];
  readonly publishers: PublisherRun[];
  readonly memory: { afterMixRssMiB: number; peakRssMiB: number; lastHalfGrowthMiB: number };
  readonly totalSeconds: number;
  readonly stealPercent: number;
}

export function renderMarkdown(report: BenchReport): string {
  const { echo, pgbench, pgbenchWithoutNotify } = report.limits;
  const limitFor = (scenario: string) => (scenario.startsWith("CreateOrder") ? pgbench.perSecond : echo.perSecond);
  const ratio = (run: ScenarioRun) =>
    run.mode.startsWith("closed") ? `${Math.round((100 * run.achievedPerSecond) / limitFor(run.scenario))}%` : "";
  const errors = (r: ScenarioRun) =>
    r.failed
      ? `FAILED: ${Object.entries(r.errors)
          .map(([code, n]) => `${code} ${n}`)
          .join(", ")}`
      : r.notSent
        ? `INCOMPLETE: ${r.notSent} not sent`
        : "none";
  return [
    `### Benchmark, ${report.date.slice(0, 10)}: ${report.machine}`,
    "",
    `Service, PostgreSQL, Kafka (relay on), the reference Product/Inventory service (own process, over gRPC) and this load generator all on one machine; JWT auth, logging at info. ${report.seconds} s per run after a 4 s warm-up (15 s for the first scenario and each floor, fresh processes); whole run ${report.totalSeconds} s; CPU stolen by other guests of this VM: ${report.stealPercent}% over the whole run. Percentiles include failed calls (at their time to failure); a run with any failed or shed call is marked FAILED and meets no target.`,
    "",
    "| Limit | per second | detail |",
    "|---|---|---|",
    `| grpc-js echo (RPC floor) | ${echo.perSecond} | p50 ${echo.p50Ms} ms, p99 ${echo.p99Ms} ms, ${echo.serverCpuMsPerCall} ms server CPU per call |`,
    `| pgbench, CreateOrder's statements with the reservation (database ceiling) | ${pgbench.perSecond} | ${pgbench.clients} clients, average ${pgbench.averageLatencyMs} ms |`,
    `| the same without the outbox NOTIFY trigger | ${pgbenchWithoutNotify.perSecond} | ${pgbenchWithoutNotify.clients} clients, average ${pgbenchWithoutNotify.averageLatencyMs} ms |`,
    "",
    ...floorTable(report),
    "",
    ...againstFloors(report),
    "",
    ...underOpenLoad(report),
    "",
    "| Scenario | load | target/s | achieved/s | of limit | p50 ms | p90 ms | p99 ms | max ms | errors | service CPU ms /1000 calls | catalog CPU ms /1000 | PostgreSQL CPU ms /1000 | busy cores | CPU steal % | service RSS MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...report.runs.map(
      (r) =>
        `| ${r.scenario} | ${r.mode} | ${r.targetPerSecond ?? ""} | ${r.achievedPerSecond} | ${ratio(r)} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.maxMs} | ${errors(r)} | ${r.serviceCpuMsPer1000} | ${r.catalogCpuMsPer1000} | ${r.postgresCpuMsPer1000} | ${r.busyCores} | ${r.stealPercent} | ${r.serviceRssMiB} |`,
    ),
    "",
    "| Outbox commit-to-Kafka lag | events | missing | p50 ms | p99 ms | max ms |",
    "|---|---|---|---|---|---|",
    ...report.outbox.map((l) => `| ${l.load} | ${l.events} | ${l.missing} | ${l.p50Ms} | ${l.p99Ms} | ${l.maxMs} |`),
    "",
    "| Outbox publisher, CreateOrder (3 items) at its maximum | orders/s | events/s | missing | commit-to-Kafka p50 ms | p99 ms | service CPU ms per order | Kafka Connect CPU ms per order |",
    "|---|---|---|---|---|---|---|---|",
    ...(report.publishers ?? []).map(
      (p) =>
        `| ${p.publisher} | ${p.ordersPerSecond} | ${p.eventsPerSecond} | ${p.eventsMissing} | ${p.p50Ms} | ${p.p99Ms} | ${p.serviceCpuMsPerOrder} | ${p.connectCpuMsPerOrder ?? ""} |`,
    ),
    "",
    ...mixTable(report),
    "",
    ...ablationTable(report),
    "",
    ...ghzTable(report),
    "",
    "| Target | measured | met |",
    "|---|---|---|",
    ...targets(report).map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "yes" : "no"} |`),
    "",
  ].join("\n");
}

const FLOOR_NAMES = [
  ["read", "GetOrder"],
  ["list", "ListOrders (page of 20)"],
  ["write", "CreateOrder (3 items)"],
  ["addItem", "Cart AddItem"],
] as const;

function floorTable(report: BenchReport): string[] {
  return [
    "| Floor (grpc-js, pg and protobuf-es only; closed loop, 16 in flight) | per second | p50 ms | p99 ms | CPU ms per call | catalog CPU ms per call | PostgreSQL CPU ms per call |",
    "|---|---|---|---|---|---|---|",
    ...FLOOR_NAMES.flatMap(([name]) => {
      const f = report.floors[name];
      return f
        ? [
            `| ${f.floor} | ${f.achievedPerSecond} | ${f.p50Ms} | ${f.p99Ms} | ${f.cpuMsPerCall} | ${f.catalogCpuMsPerCall} | ${f.postgresCpuMsPerCall} |`,
          ]
        : [];
    }),
  ];
}

/** Each scenario's CPU per call and maximum against its floor, next to the older limits (echo, pgbench). */
function againstFloors(report: BenchReport): string[] {
  const { echo, pgbench } = report.limits;
  return [
    "| Scenario | service CPU ms/call | floor CPU ms/call | CPU vs floor | max/s | floor max/s | max of floor's | PostgreSQL CPU ms/call, service / floor | max of the older limit |",
    "|---|---|---|---|---|---|---|---|---|",
    ...FLOOR_NAMES.flatMap(([name, scenario]) => {
      const floor = report.floors[name];
      const run = maxOf(report, scenario);
      if (!floor || !run) return [];
      const cpu = run.serviceCpuMsPer1000 / 1000;
      const older = scenario.startsWith("CreateOrder")
        ? `${Math.round((100 * run.achievedPerSecond) / pgbench.perSecond)}% of pgbench`
        : `${Math.round((100 * run.achievedPerSecond) / echo.perSecond)}% of the echo`;
      return [
        `| ${scenario} | ${cpu} | ${floor.cpuMsPerCall} | ${(cpu / floor.cpuMsPerCall).toFixed(2)}x | ${run.achievedPerSecond} | ${floor.achievedPerSecond} | ${Math.round((100 * run.achievedPerSecond) / floor.achievedPerSecond)}% | ${run.postgresCpuMsPer1000 / 1000} / ${floor.postgresCpuMsPerCall} | ${older} |`,
      ];
    }),
  ];
}

/** Every open-loop run of a scenario with a floor, beside the floor at the same offered rate. */
function underOpenLoad(report: BenchReport): string[] {
  return [
    "| Open loop, same offered rate | rate/s | service p50 / p99 ms | floor p50 / p99 ms | p99 vs floor | service errors | floor errors |",
    "|---|---|---|---|---|---|---|",
    ...FLOOR_NAMES.flatMap(([name, scenario]) =>
      report.runs
        .filter((run) => run.scenario === scenario && run.mode === "open")
        .map((run) => {
          const floor = floorAt(report, name, run.targetPerSecond);
          const errs = (r?: { errors: Record<string, number> }) => (r ? JSON.stringify(r.errors) : "");
          return `| ${scenario} | ${run.targetPerSecond} | ${run.p50Ms} / ${run.p99Ms} | ${floor ? `${floor.p50Ms} / ${floor.p99Ms}` : "not measured"} | ${floor ? `${(run.p99Ms / floor.p99Ms).toFixed(2)}x` : ""} | ${errs(run)} | ${errs(floor)} |`;
        }),
    ),
  ];
}

/** The mix's probes and its hold, and the build before's the same day. */
function mixTable(report: BenchReport): string[] {
  const rows = (label: string, mix: MixResult) => [
    ...mix.probes.map(
      (p) =>
        `| ${label} | probe | ${p.targetPerSecond} | ${p.seconds} | ${p.achievedPerSecond} | ${p.p50Ms} / ${p.p99Ms} | ${JSON.stringify(p.errors)} | ${p.held ? "yes" : "no"} |`,
    ),
    `| ${label} | hold | ${mix.hold.targetPerSecond} | ${mix.hold.seconds} | ${mix.hold.achievedPerSecond} | ${mix.hold.p50Ms} / ${mix.hold.p99Ms} | ${JSON.stringify(mix.hold.errors)} | ${mix.hold.held ? "yes" : "no"} |`,
  ];
  return [
    "| Storefront mix: highest rate with no errors and p99 < 50 ms | run | rate/s | seconds | answered/s | p50 / p99 ms | errors | held |",
    "|---|---|---|---|---|---|---|---|",
    ...rows("this build", report.mix),
    ...(report.mixBefore ? rows(`the build before (${report.mixBefore.date.slice(11, 16)} UTC)`, report.mixBefore) : []),
  ];
}

function ablationTable(report: BenchReport): string[] {
  const base = (scenario: string) => report.ablation.find((r) => r.scenario === scenario)!;
  const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(3)}`;
  return [
    "| Ablation: one change to the production shape | scenario | per second | service CPU ms/call (each round) | vs production shape | catalog CPU ms/call | service + catalog | service RSS MiB |",
    "|---|---|---|---|---|---|---|---|",
    ...report.ablation.map((r) => {
      const b = base(r.scenario);
      const both = r.serviceCpuMsPerCall + r.catalogCpuMsPerCall;
      return `| ${r.toggle}${r.failed ? " (FAILED calls)" : ""} | ${r.scenario} | ${r.perSecond} | ${r.serviceCpuMsPerCall} (${r.serviceCpuMsPerRound.join(", ")}) | ${r === b ? "" : signed(r.serviceCpuMsPerCall - b.serviceCpuMsPerCall)} | ${r.catalogCpuMsPerCall} | ${both.toFixed(3)} | ${r.serviceRssMiB ?? ""} |`;
    }),
  ];
}

/** ghz against bench/load.ts, the same scenario and concurrency; over 20% apart is flagged for the report to explain. */
function ghzTable(report: BenchReport): string[] {
  return [
    "| Cross-check: ghz vs this generator (16 in flight) | ghz/s | ours/s | apart | ghz p50/p99 ms | ours p50/p99 ms | service CPU ms/call, ghz | ours | apart |",
    "|---|---|---|---|---|---|---|---|---|",
    ...report.ghz.map((g) => {
      const ours = report.runs.find((r) => r.scenario.startsWith(g.scenario) && r.mode.startsWith("closed"))!;
      const apart = (a: number, b: number) => {
        const d = Math.abs(a - b) / Math.min(a, b);
        return `${Math.round(100 * d)}%${d > 0.2 ? " (over 20%)" : ""}`;
      };
      const oursCpu = ours.serviceCpuMsPer1000 / 1000;
      const errors = Object.keys(g.errors).length ? ` (errors ${JSON.stringify(g.errors)})` : "";
      return `| ${g.scenario}${errors} | ${g.perSecond} | ${ours.achievedPerSecond} | ${apart(g.perSecond, ours.achievedPerSecond)} | ${g.p50Ms} / ${g.p99Ms} | ${ours.p50Ms} / ${ours.p99Ms} | ${g.serviceCpuMsPerCall} | ${oursCpu} | ${apart(g.serviceCpuMsPerCall, oursCpu)} |`;
    }),
  ];
}
