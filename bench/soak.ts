/**
 * Memory over time: the storefront mix for two runs of BENCH_SOAK_MINUTES (10) each against the
 * production-like stack, sampling the service's RSS; the second run must not end higher than
 * the first by more than noise. Writes bench/results/soak-<date>.json.
 *
 *   npm run bench:soak     about 21 minutes
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { machine, memoryMiB } from "./bench-support.js";
import { openLoop } from "./load.js";
import { MIX_RATE, scenarios } from "./scenarios.js";
import { SERVICE_NODE_OPTIONS, startStack } from "./stack.js";

const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 10);

async function main() {
  mkdirSync("bench/results", { recursive: true });
  const stack = await startStack();
  try {
    const s = scenarios(stack);
    const samples: { minute: number; rssMiB: number }[] = [];
    const started = Date.now();
    const sampler = setInterval(() => samples.push({ minute: +((Date.now() - started) / 60_000).toFixed(2), rssMiB: memoryMiB(stack.servicePid).rss }), 10_000);
    const runs = [];
    for (let run = 1; run <= 2; run++) {
      const outcome = await openLoop(MIX_RATE, MINUTES * 60, s.mix);
      runs.push({ run, ...outcome, rssAtEndMiB: memoryMiB(stack.servicePid).rss });
      console.log(`run ${run}: ${outcome.achievedPerSecond}/s p99 ${outcome.p99Ms} ms, errors ${JSON.stringify(outcome.errors)}, RSS ${runs.at(-1)!.rssAtEndMiB} MiB`);
    }
    clearInterval(sampler);
    const report = { machine: machine(), date: new Date().toISOString(), serviceNodeOptions: process.env.BENCH_SERVICE_NODE_OPTIONS ?? SERVICE_NODE_OPTIONS, ratePerSecond: MIX_RATE, minutesPerRun: MINUTES, runs, peakRssMiB: memoryMiB(stack.servicePid).peak, samples };
    writeFileSync(`bench/results/soak-${report.date.slice(0, 10)}.json`, JSON.stringify(report, null, 2));
    console.log(`RSS after run 1: ${runs[0]!.rssAtEndMiB} MiB, after run 2: ${runs[1]!.rssAtEndMiB} MiB, peak ${report.peakRssMiB} MiB`);
  } finally {
    await stack.stop();
  }
}

await main();
