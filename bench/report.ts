import type { LoadOutcome } from "./load.js";

export interface ScenarioRun extends LoadOutcome {
  readonly scenario: string;
  readonly serviceCpuMsPer1000: number;
  readonly catalogCpuMsPer1000: number;
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
  readonly runs: ScenarioRun[];
  readonly outbox: Lag[];
  readonly memory: { afterMixRssMiB: number; peakRssMiB: number };
  readonly totalSeconds: number;
  readonly stealPercent: number;
}

const maxOf = (report: BenchReport, scenario: string) => report.runs.find((r) => r.scenario === scenario && r.mode.startsWith("closed"));
const openAt = (report: BenchReport, scenario: string, rate?: number) =>
  report.runs.find((r) => r.scenario === scenario && r.mode === "open" && (rate === undefined || r.targetPerSecond === rate));

/** Issue 8's targets, each with what this run measured. */
export function targets(report: BenchReport) {
  const create = maxOf(report, "CreateOrder (3 items)")!;
  const createHalf = openAt(report, "CreateOrder (3 items)")!;
  const get = maxOf(report, "GetOrder")!;
  const get1000 = openAt(report, "GetOrder", 1000)!;
  const [atMax, , idle] = report.outbox;
  const pct = (a: number, b: number) => `${Math.round((100 * a) / b)}%`;
  const failures = (run: ScenarioRun) =>
    run.failed ? `; FAILED: ${Object.values(run.errors).reduce((a, b) => a + b, 0)} calls failed or shed` : "";
  const lagMeasured = (lag: Lag) => `${lag.p99Ms} ms (${lag.load}; ${lag.missing} missing)`;
  return [
    {
      target: "CreateOrder max >= 50% of the pgbench ceiling (the ceiling includes the reservation's statements)",
      measured: `${create.achievedPerSecond}/s = ${pct(create.achievedPerSecond, report.limits.pgbench.perSecond)} of ${report.limits.pgbench.perSecond}${failures(create)}`,
      met: !create.failed && create.achievedPerSecond >= report.limits.pgbench.perSecond / 2,
    },
    {
      target: "CreateOrder p99 < 25 ms at half its max",
      measured: `${createHalf.p99Ms} ms at ${createHalf.targetPerSecond}/s${failures(createHalf)}`,
      met: !createHalf.failed && createHalf.p99Ms < 25,
    },
    {
      target: "GetOrder max >= 40% of the grpc-js echo floor",
      measured: `${get.achievedPerSecond}/s = ${pct(get.achievedPerSecond, report.limits.echo.perSecond)} of ${report.limits.echo.perSecond}${failures(get)}`,
      met: !get.failed && get.achievedPerSecond >= report.limits.echo.perSecond * 0.4,
    },
    {
      target: "GetOrder p99 < 10 ms at 1,000 calls/s",
      measured: `${get1000.p99Ms} ms, ${get1000.achievedPerSecond}/s answered${failures(get1000)}`,
      met: !get1000.failed && get1000.p99Ms < 10,
    },
    {
      target: "Outbox commit-to-Kafka p99 < 100 ms, 500 events/s written to the outbox, service idle",
      measured: lagMeasured(idle!),
      met: idle!.p99Ms < 100 && idle!.missing === 0,
    },
    {
      target: "Outbox commit-to-Kafka p99 < 100 ms at CreateOrder's maximum, the relay sharing the box",
      measured: lagMeasured(atMax!),
      met: atMax!.p99Ms < 100 && atMax!.missing === 0,
    },
    {
      target: "RSS < 300 MiB after the mix (10-minute runs: npm run bench:soak)",
      measured: `${report.memory.afterMixRssMiB} MiB (peak ${report.memory.peakRssMiB})`,
      met: report.memory.afterMixRssMiB < 300,
    },
  ];
}

export function renderMarkdown(report: BenchReport): string {
  const { echo, pgbench, pgbenchWithoutNotify } = report.limits;
  const limitFor = (scenario: string) => (scenario.startsWith("CreateOrder") ? pgbench.perSecond : echo.perSecond);
  const ratio = (run: ScenarioRun) =>
    run.mode.startsWith("closed") ? `${Math.round((100 * run.achievedPerSecond) / limitFor(run.scenario))}%` : "";
  const errors = (run: ScenarioRun) =>
    run.failed
      ? `FAILED: ${Object.entries(run.errors)
          .map(([code, n]) => `${code} ${n}`)
          .join(", ")}`
      : "none";
  return [
    `### Benchmark, ${report.date.slice(0, 10)}: ${report.machine}`,
    "",
    `Service, PostgreSQL, Kafka (relay on), the reference Product/Inventory service (own process, over gRPC) and this load generator all on one machine; JWT auth, logging at info. ${report.seconds} s per run after a 2 s warm-up; whole run ${report.totalSeconds} s; CPU stolen by other guests of this VM: ${report.stealPercent}% over the whole run. Percentiles include failed calls (at their time to failure); a run with any failed or shed call is marked FAILED and meets no target.`,
    "",
    "| Limit | per second | detail |",
    "|---|---|---|",
    `| grpc-js echo (RPC floor) | ${echo.perSecond} | p50 ${echo.p50Ms} ms, p99 ${echo.p99Ms} ms, ${echo.serverCpuMsPerCall} ms server CPU per call |`,
    `| pgbench, CreateOrder's statements with the reservation (database ceiling) | ${pgbench.perSecond} | ${pgbench.clients} clients, average ${pgbench.averageLatencyMs} ms |`,
    `| the same without the outbox NOTIFY trigger | ${pgbenchWithoutNotify.perSecond} | ${pgbenchWithoutNotify.clients} clients, average ${pgbenchWithoutNotify.averageLatencyMs} ms |`,
    "",
    "| Scenario | load | target/s | achieved/s | of limit | p50 ms | p90 ms | p99 ms | max ms | errors | service CPU ms /1000 calls | catalog CPU ms /1000 | busy cores | CPU steal % | service RSS MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...report.runs.map(
      (r) =>
        `| ${r.scenario} | ${r.mode} | ${r.targetPerSecond ?? ""} | ${r.achievedPerSecond} | ${ratio(r)} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.maxMs} | ${errors(r)} | ${r.serviceCpuMsPer1000} | ${r.catalogCpuMsPer1000} | ${r.busyCores} | ${r.stealPercent} | ${r.serviceRssMiB} |`,
    ),
    "",
    "| Outbox commit-to-Kafka lag | events | missing | p50 ms | p99 ms | max ms |",
    "|---|---|---|---|---|---|",
    ...report.outbox.map((l) => `| ${l.load} | ${l.events} | ${l.missing} | ${l.p50Ms} | ${l.p99Ms} | ${l.maxMs} |`),
    "",
    "| Target | measured | met |",
    "|---|---|---|",
    ...targets(report).map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "yes" : "no"} |`),
    "",
  ].join("\n");
}
