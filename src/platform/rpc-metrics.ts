import { Gauge, Histogram, type Registry } from "prom-client";

/** What every RPC reports, whatever transport carried it. */
export class RpcMetrics {
  private readonly duration: Histogram<"service" | "method" | "code">;
  private readonly inFlight: Gauge<"service" | "method">;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: "rpc_server_duration_seconds",
      help: "RPC handling time by method and status code; its _count is the number of calls",
      labelNames: ["service", "method", "code"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: "rpc_server_in_flight",
      help: "RPCs being handled now",
      labelNames: ["service", "method"],
      registers: [registry],
    });
  }

  started(service: string, method: string): void {
    this.inFlight.inc({ service, method });
  }

  finished(service: string, method: string, code: string, seconds: number): void {
    this.inFlight.dec({ service, method });
    this.duration.observe({ service, method, code }, seconds);
  }
}
