import { Gauge, Histogram, type Registry } from "prom-client";

type Labels = "service" | "method" | "code";

/**
 * What every RPC reports, whatever transport carried it. Each method's series are looked up once
 * and kept: prom-client hashes a labels object on every inc and observe.
 */
export class RpcMetrics {
  private readonly duration: Histogram<Labels>;
  private readonly inFlight: Gauge<"service" | "method">;
  private readonly series = new Map<
    string,
    { inFlight: Gauge.Internal<"service" | "method">; byCode: Map<string, Histogram.Internal<Labels>> }
  >();

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
    this.of(service, method).inFlight.inc();
  }

  finished(service: string, method: string, code: string, seconds: number): void {
    const series = this.of(service, method);
    series.inFlight.dec();
    let duration = series.byCode.get(code);
    if (!duration) series.byCode.set(code, (duration = this.duration.labels({ service, method, code })));
    duration.observe(seconds);
  }

  private of(service: string, method: string) {
    const key = `${service}/${method}`;
    let series = this.series.get(key);
    if (!series) this.series.set(key, (series = { inFlight: this.inFlight.labels({ service, method }), byCode: new Map() }));
    return series;
  }
}
