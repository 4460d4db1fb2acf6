import { CircuitState } from "cockatiel";
import { Gauge, Histogram, type Registry } from "prom-client";

const STATE_VALUE: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.HalfOpen]: 1,
  [CircuitState.Open]: 2,
  [CircuitState.Isolated]: 3,
};

/** Latency of calls to Product and Inventory, and the state of each one's circuit breaker. */
export class DependencyMetrics {
  private readonly duration: Histogram<"dependency" | "outcome">;
  private readonly circuits = new Map<string, () => CircuitState>();

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: "dependency_call_duration_seconds",
      help: "Calls to other services, including retries, by dependency and outcome (ok or error)",
      labelNames: ["dependency", "outcome"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    const circuits = this.circuits;
    new Gauge({
      name: "dependency_circuit_state",
      help: "Circuit breaker per dependency: 0 closed, 1 half-open, 2 open, 3 isolated",
      labelNames: ["dependency"],
      registers: [registry],
      collect() {
        for (const [dependency, state] of circuits) this.set({ dependency }, STATE_VALUE[state()]);
      },
    });
  }

  track(dependency: string, state: () => CircuitState): void {
    this.circuits.set(dependency, state);
  }

  observe(dependency: string, ok: boolean, seconds: number): void {
    this.duration.observe({ dependency, outcome: ok ? "ok" : "error" }, seconds);
  }
}
