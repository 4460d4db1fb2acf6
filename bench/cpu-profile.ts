import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  readonly name: string;
  readonly percent: number;
}

/**
 * Where a V8 CPU profile (`node --cpu-prof`) spent its samples, by the package that owns each
 * frame. Node's internals and natives (a syscall wrapper such as `writeBuffer`) are named after
 * the nearest package that called them: "pg → writeBuffer" tells that the pg driver's socket
 * writes cost that much, which "native" alone would hide.
 */
export function sharesByPackage(file: string, top = 15): Share[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // Node's own frames and natives are charged to the nearest package that called them.
  const caller = (id: number): string | undefined => {
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      const url = byId.get(up)!.callFrame.url;
      if (url && !url.startsWith("node:")) return packageOf(url);
    }
    return undefined;
  };
  const owner = (id: number): string => {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName.startsWith("(")) return frame.functionName;
    if (frame.url && !frame.url.startsWith("node:")) return packageOf(frame.url);
    const what = frame.url ? "Node internals" : frame.functionName || "native";
    return `${caller(id) ?? "event loop"} → ${what}`;
  };

  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const micros = new Map<string, number>();
  let total = 0;
  for (const [id, us] of perNode) {
    const name = owner(id);
    micros.set(name, (micros.get(name) ?? 0) + us);
    total += us;
  }
  return [...micros]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, percent: +((100 * us) / Math.max(total, 1)).toFixed(1) }));
}

/** "@mikro-orm/core", "pg", or this repository's own code. */
function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (/\/dist\/gen\//.test(url)) return "generated code (gen/)";
  return /\/dist\/src\//.test(url) ? "service code (src/)" : url;
}

/**
 * On-CPU time of one process by thread and binary, from Linux perf's cpu-clock event, or
 * undefined where perf is not installed or not permitted. V8's profiler cannot give this: when a
 * thread is preempted inside a syscall, the sample it takes on resuming lands in that syscall's
 * frame, so a socket write that wakes PostgreSQL on a busy machine looks expensive there while
 * perf sees it take little CPU.
 */
export function recordOnCpu(pid: number, seconds: number): Promise<Share[] | undefined> {
  const data = join(mkdtempSync(join(tmpdir(), "perf-")), "perf.data");
  const perf = spawn(
    "perf",
    ["record", "-q", "-e", "cpu-clock", "-F", "999", "-o", data, "-p", String(pid), "--", "sleep", String(seconds)],
    { stdio: "ignore" },
  );
  return new Promise((resolve) => {
    perf.once("error", () => resolve(undefined));
    perf.once("exit", (code) => {
      if (code !== 0) return resolve(undefined);
      const report = spawnSync("perf", ["report", "-i", data, "--stdio", "--sort", "comm,dso", "--percent-limit", "1"], {
        encoding: "utf8",
      });
      rmSync(dirname(data), { recursive: true, force: true });
      resolve(
        report.stdout
          .split("\n")
          .map((line) => /^\s*([\d.]+)%\s+(\S+)\s+(.+?)\s*$/.exec(line))
          .filter((match) => match !== null)
          .map((match) => ({ name: `${match[2]} in ${match[3]}`, percent: Number(match[1]) })),
      );
    });
  });
}
