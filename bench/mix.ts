/**
 * The storefront mix's highest held rate: short open-loop probes find the highest rate with no
 * errors and p99 under 50 ms (doubling, then halving the gap), then that rate is held for
 * BENCH_MIX_SECONDS (600); if the hold fails, 15% lower is held once more. Part of `npm run bench`;
 * alone (`npm run bench:mix`) it measures any build, BENCH_SERVICE_DIR naming another checkout:
 * the build before a change, the same day, on the same machine.
 *
 *   BENCH_SERVICE_DIR=/tmp/before npm run bench:mix -- before    writes bench/results/mix-<date>-before.json
 */
import { writeFileSync } from "node:fs";
import { lastHalfGrowthMiB, machine, memoryMiB, sampleRss } from "./bench-support.js";
import { CONCURRENCY, openLoop, warmUp, type LoadOutcome } from "./load.js";
import { scenarios, type Scenarios } from "./scenarios.js";
import { SERVICE_DIR, startStack, type Stack } from "./stack.js";

export const MIX_P99_MS = 50;
const PROBE_SECONDS = Number(process.env.BENCH_MIX_PROBE_SECONDS ?? 30);
const FIRST_PROBE = 100;
const MIN_RATE = 10;
const WARM_UP_SECONDS = 15;

export interface MixResult<Run extends LoadOutcome = LoadOutcome> {
  readonly probes: (LoadOutcome & { held: boolean })[];
  /** The long run at the highest probed rate, or at 15% below it when that failed. */
  readonly hold: Run & { held: boolean };
  /** The rate held for the whole run with no errors and p99 under 50 ms; 0 when none was. */
  readonly heldRate: number;
  readonly memory: { afterMixRssMiB: number; peakRssMiB: number; lastHalfGrowthMiB: number };
}

const held = (run: LoadOutcome) => !run.failed && run.notSent === 0 && run.p99Ms < MIX_P99_MS;

/** `measure` wraps each hold (bench.ts adds the CPU and memory of the processes). */
export async function highestMixRate<Run extends LoadOutcome>(
  stack: Stack,
  s: Scenarios,
  holdSeconds: number,
  measure: (load: () => Promise<LoadOutcome>) => Promise<Run>,
): Promise<MixResult<Run>> {
  const probes: MixResult["probes"] = [];
  const probe = async (rate: number) => {
    const run = await openLoop(rate, PROBE_SECONDS, s.mix);
    probes.push({ ...run, held: held(run) });
    console.log(`mix probe ${rate}/s: ${run.achievedPerSecond}/s p99 ${run.p99Ms} ms, errors ${JSON.stringify(run.errors)}`);
    return held(run);
  };
  // A fresh service compiles its paths first: the first probe's p99 was that (130 ms at 100/s).
  await warmUp(CONCURRENCY, WARM_UP_SECONDS, s.mix);
  let good = 0;
  let bad = 0;
  // Up from FIRST_PROBE by doubling while it holds, or down by halving until it does.
  if (await probe(FIRST_PROBE)) {
    good = FIRST_PROBE;
    while (await probe(good * 2)) good *= 2;
    bad = good * 2;
  } else {
    bad = FIRST_PROBE;
    for (let rate = FIRST_PROBE / 2; rate >= MIN_RATE && !good; rate /= 2) {
      if (await probe(rate)) good = rate;
      else bad = rate;
    }
  }
  // Within 10% of the highest good rate, or none good at all.
  while (good > 0 && bad - good > good / 10) {
    const middle = Math.round((good + bad) / 2);
    if (await probe(middle)) good = middle;
    else bad = middle;
  }
  const rss = sampleRss(() => stack.servicePid);
  let hold = await measure(() => openLoop(good || MIN_RATE, holdSeconds, s.mix));
  if (!held(hold)) hold = await measure(() => openLoop(Math.round((hold.targetPerSecond ?? 0) * 0.85), holdSeconds, s.mix));
  rss.stop();
  const { rss: afterMixRssMiB, peak: peakRssMiB } = memoryMiB(stack.servicePid);
  console.log(`mix held ${hold.targetPerSecond}/s for ${hold.seconds} s: p99 ${hold.p99Ms} ms, errors ${JSON.stringify(hold.errors)}`);
  return {
    probes,
    hold: { ...hold, held: held(hold) },
    heldRate: held(hold) ? hold.targetPerSecond! : 0,
    memory: { afterMixRssMiB, peakRssMiB, lastHalfGrowthMiB: lastHalfGrowthMiB(rss.samples) },
  };
}

/** The file a build's mix result is kept in, by date and label ("before": the build before the cuts). */
export const mixFile = (date: string, label: string) => `bench/results/mix-${date}-${label}.json`;

if (import.meta.url === `file://${process.argv[1]}`) {
  const label = process.argv[2] ?? "current";
  const stack = await startStack();
  try {
    const result = await highestMixRate(stack, scenarios(stack), Number(process.env.BENCH_MIX_SECONDS ?? 600), (load) => load());
    const date = new Date().toISOString();
    writeFileSync(
      mixFile(date.slice(0, 10), label),
      JSON.stringify({ machine: machine(), date, serviceDir: SERVICE_DIR, ...result }, null, 2),
    );
    console.log(`${label}: held ${result.heldRate}/s (${machine()})`);
  } finally {
    await stack.stop();
  }
}
