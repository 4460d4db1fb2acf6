/**
 * The benchmark: the limits of this machine and the floors (bench/floors/), then every scenario
 * against the service deployed as production runs it (bench/stack.ts), the ablation of the
 * production shape, a cross-check with ghz, and the storefront mix for 10 minutes; each compared
 * to its limit and floor and to issue 22's targets. Writes bench/results/bench-<date>.json and
 * bench/results/latest.md, and prints the tables.
 *
 *   npm run bench        about 30 minutes on 2 cores; BENCH_SECONDS (10) per measured run,
 *                        BENCH_MIX_SECONDS (600) for the mix, BENCH_ABLATION_SECONDS (8), BENCH_GHZ_SECONDS (15)
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { cpus } from "node:os";
import { ablation } from "./ablation.js";
import { cpuMeter, machine, machineCpu, memoryMiB, settle, treeCpuMeter } from "./bench-support.js";
import { floorScenario, measureFloors } from "./floor-limits.js";
import { ghzCrossCheck } from "./ghz.js";
import { clearPgbenchRows, echoFloor, pgbenchCeiling } from "./limits.js";
import { closedLoop, CONCURRENCY, openLoop, warmUp, type LoadOutcome, type Operation } from "./load.js";
import { outboxDrained } from "./outbox-check.js";
import { watchOrderCreated, writeOutboxAtRate } from "./outbox-lag.js";
import { comparePublishers } from "./publishers.js";
import { renderMarkdown, type BenchReport, type ScenarioRun } from "./report.js";
import { highestMixRate, mixFile } from "./mix.js";
import { scenarios } from "./scenarios.js";
import { startStack, type Stack } from "./stack.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MIX_SECONDS = Number(process.env.BENCH_MIX_SECONDS ?? 600);
const ABLATION_SECONDS = Number(process.env.BENCH_ABLATION_SECONDS ?? 8);
const GHZ_SECONDS = Number(process.env.BENCH_GHZ_SECONDS ?? 15);
/**
 * Before each scenario. The first, CreateOrder, also gets FIRST_WARM_UP_SECONDS: with 2 s after
 * the service started, its CPU per order measured 30-40% above the same build measured later in
 * the run (ablation, ghz), which was V8 still compiling the paths, not the paths.
 */
const WARM_UP_SECONDS = 4;
const FIRST_WARM_UP_SECONDS = 15;

/** Runs one load against the stack and adds what the service, the catalog and PostgreSQL spent on it. */
async function measured(stack: Stack, scenario: string, load: () => Promise<LoadOutcome>): Promise<ScenarioRun> {
  const cpu = cpuMeter(stack.servicePid, stack.catalogPid);
  const postgres = treeCpuMeter(stack.pgPid);
  const box = machineCpu();
  const outcome = await load();
  const after = machineCpu();
  const [service, catalog] = cpu(outcome.ok).map((ms) => Math.round(ms * 1000));
  const run: ScenarioRun = {
    scenario,
    ...outcome,
    serviceCpuMsPer1000: service!,
    catalogCpuMsPer1000: catalog!,
    postgresCpuMsPer1000: Math.round(1000 * postgres(outcome.ok)),
    busyCores: +((cpus().length * (after.busy - box.busy)) / Math.max(after.total - box.total, 1)).toFixed(2),
    stealPercent: stealSince(box),
    serviceRssMiB: memoryMiB(stack.servicePid).rss,
  };
  console.log(
    `${scenario} [${run.mode}]: ${run.achievedPerSecond}/s p50 ${run.p50Ms} p99 ${run.p99Ms} ms, errors ${JSON.stringify(run.errors)}`,
  );
  return run;
}

function stealSince(before: ReturnType<typeof machineCpu>): number {
  const after = machineCpu();
  return +((100 * (after.steal - before.steal)) / Math.max(after.total - before.total, 1)).toFixed(1);
}

/** Warm up, find the maximum (closed loop), then hold half of it open loop. */
async function maxThenHalf(
  stack: Stack,
  scenario: string,
  op: Operation,
  /** `beforeHalf` gets the open loop's rate, half the measured maximum, before it starts. */
  hooks: { beforeMax?: () => void; beforeHalf?: (rate: number) => Promise<void> } = {},
): Promise<ScenarioRun[]> {
  await warmUp(CONCURRENCY, WARM_UP_SECONDS, op);
  hooks.beforeMax?.();
  const max = await measured(stack, scenario, () => closedLoop(CONCURRENCY, SECONDS, op));
  const rate = Math.max(1, Math.round(max.achievedPerSecond / 2));
  await hooks.beforeHalf?.(rate);
  const half = await measured(stack, scenario, () => openLoop(rate, SECONDS, op));
  return [max, half];
}

/**
 * The latest mix of the build before this cuts, if `npm run bench:mix -- before[-name]` ran
 * on this machine kind on the day this bench started or ended (a run that starts in the evening
 * ends after midnight): one measured on another machine would compare speeds, not builds.
 */
function readMixBefore(days: readonly string[]): BenchReport["mixBefore"] {
  const dir = dirname(mixFile(days[0]!, "before"));
  const prefixes = days.map((day) => basename(mixFile(day, "before"), ".json"));
  return readdirSync(dir)
    .filter((name) => prefixes.some((prefix) => name.startsWith(prefix)))
    .map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as NonNullable<BenchReport["mixBefore"]>)
    .filter((before) => before.machine === machine())
    .sort((a, b) => b.date.localeCompare(a.date))[0];
}

async function main() {
  mkdirSync("bench/results", { recursive: true });
  const started = Date.now();
  const startedCpu = machineCpu();
  const floor = await echoFloor(SECONDS, CONCURRENCY);
  let ceilings: ReturnType<typeof pgbenchCeiling>[] = [];
  let floors: Awaited<ReturnType<typeof measureFloors>>["closed"] = {};
  // Before the service starts, so that nothing else runs: the relay would publish the floor's events.
  const stack = await startStack(async (target) => {
    ceilings = [pgbenchCeiling(target.pgPort, SECONDS), pgbenchCeiling(target.pgPort, SECONDS, true)];
    floors = (await measureFloors(target, SECONDS)).closed;
    clearPgbenchRows(target.pgPort);
  });
  /** Before each stage: the outbox drained and PostgreSQL idle, so that no stage pays for what the one before it left. */
  const quiet = async (stage: string, outbox = true) => {
    const drained = outbox ? `outbox drained after ${await outboxDrained(stack.databaseUrl)} s, ` : "";
    console.log(`${stage}: ${drained}PostgreSQL idle after ${await settle(stack.pgPid)} s`);
  };
  try {
    await quiet("scenarios");
    const lag = await watchOrderCreated(stack);
    const s = scenarios(stack);
    const runs: ScenarioRun[] = [];

    let maxFrom = 0;
    let maxTo = 0;
    const marks = {
      beforeMax: () => void (maxFrom = s.createdOrderIds.length),
      beforeHalf: async () => void (maxTo = s.createdOrderIds.length),
    };
    await warmUp(CONCURRENCY, FIRST_WARM_UP_SECONDS, s.createOrder);
    runs.push(...(await maxThenHalf(stack, "CreateOrder (3 items)", s.createOrder, marks)));
    const maxRateLag = await lag.lagOf(s.createdOrderIds.slice(maxFrom, maxTo));
    const halfRateOrders = s.createdOrderIds.slice(-runs.at(-1)!.ok);
    const createOrderLag = await lag.lagOf(halfRateOrders);

    runs.push(...(await maxThenHalf(stack, "GetOrder", s.getOrder)));
    runs.push(await measured(stack, "GetOrder", () => openLoop(1000, SECONDS, s.getOrder)));
    runs.push(...(await maxThenHalf(stack, "ListOrders (page of 20)", s.listOrders)));
    runs.push(...(await maxThenHalf(stack, "Cart AddItem", s.addItem)));
    // The same with cart holds off: what holding the cart's stock at Inventory costs per AddItem.
    await stack.restartService({ CART_RESERVATION_MINUTES: "0", CART_GUEST_RESERVATION_MINUTES: "0" });
    // Carts of their own: the first run's carts are near CART_MAX_LINES (RESOURCE_EXHAUSTED, 2026-12-05).
    runs.push(...(await maxThenHalf(stack, "Cart AddItem, holds off", scenarios(stack).addItem)));
    await stack.restartService({});

    // Checkout places an order as CreateOrder does: its maximum is CreateOrder's or less. Carts for
    // half again that; a faster machine that runs out ends the closed loop there (GeneratorExhausted).
    await s.fillCarts(Math.round(CONCURRENCY * 2 + runs[0]!.achievedPerSecond * SECONDS * 1.5));
    runs.push(
      ...(await maxThenHalf(stack, "Cart Checkout (2 items)", s.checkout, {
        // Enough carts for the whole open loop at the rate just measured, whatever the machine (a fixed
        // 600 ran out on a machine three times faster: 121 calls failed with no cart to check out).
        beforeHalf: (rate) => s.fillCarts(Math.ceil(rate * SECONDS * 1.2) + CONCURRENCY),
      })),
    );

    const relay = await writeOutboxAtRate(stack, 500, SECONDS);
    const relayLag = await lag.lagOf(relay.keys);

    await quiet("ghz");
    const ghz = await ghzCrossCheck(stack, stack.grpcAddress, s.createdOrderIds, GHZ_SECONDS);
    await quiet("ablation");
    const ablated = await ablation(stack, s, ABLATION_SECONDS);

    // Last, on the service ablation just restarted: memory after the mix is the mix's alone.
    await quiet("mix");
    const mixResult = await highestMixRate(stack, s, MIX_SECONDS, (load) => measured(stack, "Storefront mix", load));
    runs.push(mixResult.hold);
    // After the mix, so that Connect on the box and the restarts cannot disturb it.
    await quiet("publishers");
    const publishers = await comparePublishers(stack, s, lag, SECONDS);
    await lag.stop();

    // The floors again, at the rates of their scenarios' open-loop runs, with the service idle (its relay off).
    await outboxDrained(stack.databaseUrl);
    await stack.restartService({ KAFKA_BROKERS: "" });
    const openRates = Object.fromEntries(
      (["write", "read", "list", "addItem"] as const).map((name) => [
        name,
        runs.filter((run) => run.scenario === floorScenario(name) && run.mode === "open").map((run) => run.targetPerSecond!),
      ]),
    );
    await quiet("floors under open load", false);
    const floorsOpen = (await measureFloors(stack, SECONDS, openRates, false)).open;
    const date = new Date().toISOString();

    const report: BenchReport = {
      machine: machine(),
      date,
      seconds: SECONDS,
      limits: { echo: floor, pgbench: ceilings[0]!, pgbenchWithoutNotify: ceilings[1]! },
      floors,
      floorsOpen,
      mix: mixResult,
      mixBefore: readMixBefore([new Date(started).toISOString().slice(0, 10), date.slice(0, 10)]),
      ablation: ablated,
      ghz,
      runs,
      outbox: [
        { load: `CreateOrder at its maximum (${runs[0]!.achievedPerSecond}/s), the relay sharing the box`, ...maxRateLag },
        { load: `CreateOrder at half its maximum (${runs[1]!.targetPerSecond}/s)`, ...createOrderLag },
        { load: `500 events/s written to the outbox, service idle (${relay.achievedPerSecond}/s achieved)`, ...relayLag },
      ],
      publishers,
      memory: mixResult.memory,
      totalSeconds: Math.round((Date.now() - started) / 1000),
      stealPercent: stealSince(startedCpu),
    };
    const markdown = renderMarkdown(report);
    console.log(markdown);
    writeFileSync(`bench/results/bench-${report.date.slice(0, 10)}.json`, JSON.stringify(report, null, 2));
    writeFileSync("bench/results/latest.md", markdown);
  } finally {
    await stack.stop();
  }
}

await main();
