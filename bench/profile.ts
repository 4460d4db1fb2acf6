/**
 * Where the CPU goes for one scenario: the production-like stack with V8's CPU profiler on in the
 * service and the catalog, one scenario in a closed loop, then each process's time by package,
 * and, where Linux perf is installed, its on-CPU time by thread (the main thread against V8's
 * GC and compiler threads) and binary (V8, JIT code, kernel).
 * Writes the .cpuprofile files (open them in Chrome DevTools) and
 * bench/results/profile-<scenario>-<date>.md.
 *
 *   npm run bench:profile -- createOrder     (or getOrder, listOrders, addItem, mix); BENCH_SECONDS (20)
 *   BENCH_SERVICE_DIR=/tmp/before npm run bench:profile -- createOrder before
 *                                            another build, written as profile-<scenario>-<date>-before.md
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { machine } from "./bench-support.js";
import { recordOnCpu, sharesByPackage, type Share } from "./cpu-profile.js";
import { closedLoop, CONCURRENCY, openLoop, warmUp } from "./load.js";
import { MIX_RATE, scenarios } from "./scenarios.js";
import { SERVICE_DIR, startStack } from "./stack.js";

const PROFILES = "bench/results/profiles";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const PROFILED = ["createOrder", "getOrder", "listOrders", "addItem", "mix"] as const;

async function main() {
  const scenario = process.argv[2] as (typeof PROFILED)[number];
  if (!PROFILED.includes(scenario)) throw new Error(`usage: npm run bench:profile -- <${PROFILED.join("|")}> [label]`);
  const label = process.argv[3] ? `-${process.argv[3]}` : "";
  const commit = execFileSync("git", ["-C", SERVICE_DIR, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  mkdirSync(PROFILES, { recursive: true });
  process.env.BENCH_PROFILE = "1";
  const stack = await startStack();
  const pids = { service: stack.servicePid, catalog: stack.catalogPid };
  let outcome;
  let onCpu: (Share[] | undefined)[] = [];
  try {
    const s = scenarios(stack);
    if (scenario === "getOrder" || scenario === "mix") await closedLoop(CONCURRENCY, 5, s.createOrder);
    const op = s[scenario];
    await warmUp(CONCURRENCY, 2, op);
    // The mix is storefront traffic at its usual rate; the others run flat out, as their maximum is measured.
    const perf = Promise.all(Object.values(pids).map((pid) => recordOnCpu(pid, SECONDS)));
    outcome = scenario === "mix" ? await openLoop(MIX_RATE, SECONDS, op) : await closedLoop(CONCURRENCY, SECONDS, op);
    onCpu = await perf;
  } finally {
    // The profiles are written when the processes exit.
    await stack.stop();
  }

  const lines = [
    `### CPU profile, ${scenario}, ${new Date().toISOString().slice(0, 10)}: ${machine()}`,
    "",
    `The service built from ${SERVICE_DIR} at ${commit}.`,
    "",
    `${outcome.mode}, ${SECONDS} s after a warm-up (the whole process lifetime is profiled, start-up included): ${outcome.achievedPerSecond}/s, p99 ${outcome.p99Ms} ms, errors ${JSON.stringify(outcome.errors)}.`,
  ];
  for (const [k, [process, pid]] of Object.entries(pids).entries()) {
    if (onCpu[k]) {
      lines.push(
        "",
        `${process}, on-CPU time during the run by thread and binary (perf, cpu-clock)`,
        "",
        "| thread in binary | share |",
        "|---|---|",
      );
      for (const share of onCpu[k]) lines.push(`| ${share.name} | ${share.percent}% |`);
    }
    const file = readdirSync(PROFILES)
      .filter((name) => name.includes(`.${pid}.`))
      .sort()
      .at(-1);
    if (!file) throw new Error(`no CPU profile of the ${process} (pid ${pid}) in ${PROFILES}`);
    lines.push(
      "",
      `${process}, V8 profile by package (${PROFILES}/${file}); see bench/cpu-profile.ts on socket writes`,
      "",
      "| where | share of samples |",
      "|---|---|",
    );
    for (const share of sharesByPackage(`${PROFILES}/${file}`)) lines.push(`| ${share.name} | ${share.percent}% |`);
  }
  const markdown = lines.join("\n") + "\n";
  console.log(markdown);
  writeFileSync(`bench/results/profile-${scenario}-${new Date().toISOString().slice(0, 10)}${label}.md`, markdown);
}

await main();
