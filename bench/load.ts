import * as grpc from "@grpc/grpc-js";
import { percentile } from "./bench-support.js";

/** One call of a scenario; `i` counts calls from 0 (negative during warm-up). */
export type Operation = (i: number) => Promise<unknown>;

/**
 * Thrown by an operation that has nothing left to send (Checkout out of filled carts): the
 * generator's shortfall, never the service's error. A closed loop stops there and measures up to
 * it; an open loop counts it apart and the run is marked incomplete.
 */
export class GeneratorExhausted extends Error {
  readonly code = "GENERATOR_EXHAUSTED";
}

export interface LoadOutcome {
  readonly mode: string;
  readonly targetPerSecond?: number;
  /** Calls answered OK per second. */
  readonly achievedPerSecond: number;
  readonly ok: number;
  /** Failed and shed calls by code. A run with any is marked failed: its percentiles include the failures' times. */
  readonly errors: Record<string, number>;
  readonly failed: boolean;
  /** Calls the generator could not make (GeneratorExhausted): not the service's, but the run is short of its load. */
  readonly notSent: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly seconds: number;
}

/** Calls kept in flight when a closed loop finds a scenario's maximum. */
export const CONCURRENCY = 16;

/** Past this many calls waiting for an answer the generator stops sending and counts the rest as shed. */
const MAX_IN_FLIGHT = 2_000;

/**
 * Fixed arrival rate. Each call's latency runs from the moment it was due, not from when it was
 * actually sent, so a stall in the service (or in this process) shows up in the percentiles
 * instead of quietly lowering the rate (coordinated omission).
 */
export async function openLoop(rate: number, seconds: number, op: Operation): Promise<LoadOutcome> {
  const recorder = new Recorder();
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    for (; next < total && started + (next * 1000) / rate <= now; next++) {
      const due = started + (next * 1000) / rate;
      if (pending.size >= MAX_IN_FLIGHT) {
        recorder.fail("SHED_BY_GENERATOR");
        continue;
      }
      const call = recorder.time(due, op(next)).finally(() => pending.delete(call));
      pending.add(call);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + (next * 1000) / rate - performance.now())));
  }
  await Promise.all(pending);
  return recorder.outcome("open", (performance.now() - started) / 1000, rate);
}

/** `concurrency` callers, each sending its next call when the last one answers: finds the maximum rate. */
export async function closedLoop(concurrency: number, seconds: number, op: Operation): Promise<LoadOutcome> {
  const recorder = new Recorder();
  const started = performance.now();
  const until = started + seconds * 1000;
  let next = 0;
  let ended = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until && !recorder.exhausted) await recorder.time(performance.now(), op(next++));
      ended = Math.max(ended, performance.now());
    }),
  );
  return recorder.outcome(`closed, ${concurrency} in flight`, (ended - started) / 1000);
}

/** Calls made before measuring: connections, JIT, caches. */
export async function warmUp(concurrency: number, seconds: number, op: Operation): Promise<void> {
  const until = performance.now() + seconds * 1000;
  let next = -1;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) await op(next--).catch(() => undefined);
    }),
  );
}

/**
 * Every call's time counts, a failed one's until it failed: leaving failures out would let a
 * service that fails fast under load look fast. Calls the generator shed (too many waiting) were
 * never sent and have no time; they mark the run failed.
 */
class Recorder {
  private readonly latencies: number[] = [];
  private readonly errors: Record<string, number> = {};
  private ok = 0;
  private notSent = 0;

  get exhausted(): boolean {
    return this.notSent > 0;
  }

  async time(from: number, call: Promise<unknown>): Promise<void> {
    try {
      await call;
      this.ok++;
    } catch (error) {
      if (error instanceof GeneratorExhausted) {
        this.notSent++;
        return;
      }
      const code = (error as { code?: unknown }).code;
      this.fail(grpc.status[code as grpc.status] ?? (typeof code === "string" ? code : "CLIENT_ERROR"));
    }
    this.latencies.push(performance.now() - from);
  }

  fail(code: string) {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  outcome(mode: string, seconds: number, targetPerSecond?: number): LoadOutcome {
    const sorted = this.latencies.sort((a, b) => a - b);
    const ms = (value: number) => +value.toFixed(2);
    return {
      mode,
      targetPerSecond,
      achievedPerSecond: Math.round(this.ok / seconds),
      ok: this.ok,
      errors: this.errors,
      failed: Object.keys(this.errors).length > 0,
      notSent: this.notSent,
      p50Ms: ms(percentile(sorted, 50)),
      p90Ms: ms(percentile(sorted, 90)),
      p99Ms: ms(percentile(sorted, 99)),
      maxMs: ms(sorted.at(-1) ?? NaN),
      seconds: ms(seconds),
    };
  }
}
