/**
 * Memory over time: the storefront mix for two runs of BENCH_SOAK_MINUTES (10) each against the
 * production-like stack, sampling the service's RSS every 10 s. Fails (exit 1) when RSS grew more
 * than MAX_LAST_HALF_GROWTH_MIB over the second half. Writes bench/results/soak-<date>.json.
 *
 *   npm run bench:soak     about 21 minutes
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { lastHalfGrowthMiB, machine, memoryMiB, sampleRss } from "./bench-support.js";
import { openLoop } from "./load.js";
import { MIX_RATE, scenarios } from "./scenarios.js";
import { SERVICE_NODE_OPTIONS, startStack } from "./stack.js";

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
/** Past its warm-up a service's RSS levels off (1.5-1.7 MiB of drift over the last half on 2026-11-22/23); more than this fails the soak. */
const MAX_LAST_HALF_GROWTH_MIB = 8;

async function main() {
  mkdirSync("bench/results", { recursive: true });
  const stack = await startStack();
  try {
    const s = scenarios(stack);
    const { samples, stop: stopSampling } = sampleRss(() => stack.servicePid);
    const runs = [];
    for (let run = 1; run <= 2; run++) {
      const outcome = await openLoop(MIX_RATE, MINUTES * 60, s.mix);
      runs.push({ run, ...outcome, rssAtEndMiB: memoryMiB(stack.servicePid).rss });
      console.log(
        `run ${run}: ${outcome.achievedPerSecond}/s p99 ${outcome.p99Ms} ms, errors ${JSON.stringify(outcome.errors)}, RSS ${runs.at(-1)!.rssAtEndMiB} MiB`,
      );
    }
    stopSampling();
    const growth = lastHalfGrowthMiB(samples);
    const verdict = growth <= MAX_LAST_HALF_GROWTH_MIB ? "steady" : "GROWING";
    const report = {
      machine: machine(),
      date: new Date().toISOString(),
      serviceNodeOptions: process.env.BENCH_SERVICE_NODE_OPTIONS ?? SERVICE_NODE_OPTIONS,
      ratePerSecond: MIX_RATE,
      minutesPerRun: MINUTES,
      runs,
      peakRssMiB: memoryMiB(stack.servicePid).peak,
      lastHalfGrowthMiB: growth,
      verdict,
      samples,
    };
    writeFileSync(`bench/results/soak-${report.date.slice(0, 10)}.json`, JSON.stringify(report, null, 2));
    console.log(
      `RSS after run 1: ${runs[0]!.rssAtEndMiB} MiB, after run 2: ${runs[1]!.rssAtEndMiB} MiB, peak ${report.peakRssMiB} MiB; over the last half RSS grew ${growth} MiB: ${verdict}`,
    );
    if (verdict !== "steady") process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

await main();
