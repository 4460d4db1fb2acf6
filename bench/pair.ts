/**
 * One side of a same-day pair: a build's CPU per call for CreateOrder, GetOrder and AddItem
 * (closed loop, as their maxima are measured) on a fresh stack, each measured in ROUNDS passes and
 * reported as the median. Run it for the build before a change and for this one in turn, several
 * times (the machine drifts by 10-25% within minutes): each run appends to bench/results/pair-<date>.json.
 *
 *   BENCH_SERVICE_DIR=/tmp/before npm run bench:pair -- before     then  npm run bench:pair -- current
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpuMeter, machine, median, treeCpuMeter } from "./bench-support.js";
import { closedLoop, CONCURRENCY, warmUp, type Operation } from "./load.js";
import { scenarios } from "./scenarios.js";
import { SERVICE_DIR, startStack, type Stack } from "./stack.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = 3;

export interface PairSide {
  readonly label: string;
  readonly serviceDir: string;
  readonly date: string;
  readonly machine: string;
  /** Per scenario, medians over the rounds: calls/s and CPU per call (ms) of the service, the catalog and PostgreSQL. */
  readonly scenarios: Record<string, { perSecond: number; service: number; catalog: number; postgres: number; serviceRounds: number[] }>;
}

async function once(stack: Stack, op: Operation) {
  const cpu = cpuMeter(stack.servicePid, stack.catalogPid);
  const postgres = treeCpuMeter(stack.pgPid);
  const outcome = await closedLoop(CONCURRENCY, SECONDS, op);
  if (outcome.failed) throw new Error(`errors: ${JSON.stringify(outcome.errors)}`);
  const [service, catalog] = cpu(outcome.ok) as [number, number];
  return { perSecond: outcome.achievedPerSecond, service, catalog, postgres: postgres(outcome.ok) };
}

async function main() {
  const label = process.argv[2] ?? "current";
  const stack = await startStack();
  const runs: Record<string, Awaited<ReturnType<typeof once>>[]> = {};
  try {
    const s = scenarios(stack);
    await warmUp(CONCURRENCY, 15, s.createOrder);
    for (let round = 0; round < ROUNDS; round++) {
      // AddItem into new carts each round: the last round's are near CART_MAX_LINES (RESOURCE_EXHAUSTED).
      const ops: Record<string, Operation> = { CreateOrder: s.createOrder, GetOrder: s.getOrder, AddItem: scenarios(stack).addItem };
      for (const [name, op] of Object.entries(ops)) {
        await warmUp(CONCURRENCY, 2, op);
        (runs[name] ??= []).push(await once(stack, op));
        console.log(`${label} ${round + 1}/${ROUNDS} ${name}: ${JSON.stringify(runs[name].at(-1))}`);
      }
    }
  } finally {
    await stack.stop();
  }
  const date = new Date().toISOString();
  const side: PairSide = {
    label,
    serviceDir: SERVICE_DIR,
    date,
    machine: machine(),
    scenarios: Object.fromEntries(
      Object.entries(runs).map(([name, rounds]) => [
        name,
        {
          perSecond: Math.round(median(rounds.map((r) => r.perSecond))),
          service: median(rounds.map((r) => r.service)),
          catalog: median(rounds.map((r) => r.catalog)),
          postgres: median(rounds.map((r) => r.postgres)),
          serviceRounds: rounds.map((r) => +r.service.toFixed(3)),
        },
      ]),
    ),
  };
  const file = `bench/results/pair-${date.slice(0, 10)}.json`;
  const sides = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as PairSide[]) : [];
  writeFileSync(file, JSON.stringify([...sides, side], null, 2));
  console.log(`${label}: ${JSON.stringify(side.scenarios)}`);
}

await main();
