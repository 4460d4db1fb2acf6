import { HealthImplementation } from "grpc-health-check";
import type { Logger } from "pino";

export interface DependencyCheck {
  readonly name: string;
  /** Required dependencies decide readiness; optional ones (Kafka, thanks to the outbox) are only reported. */
  readonly required: boolean;
  readonly check: (signal: AbortSignal) => Promise<void>;
}

export type DependencyState = "up" | "down" | "unknown";

const CHECK_TIMEOUT_MS = 2_000;

/** gRPC health name that is SERVING while the process answers at all: for liveness probes, which must not restart a pod because its database is down. */
export const LIVENESS = "liveness";

/**
 * Probes dependencies on an interval and publishes the result to gRPC health (the overall ""
 * service, each served service, and one entry per dependency) and to the HTTP /readyz endpoint.
 */
export class Health {
  readonly grpc = new HealthImplementation({ "": "NOT_SERVING", [LIVENESS]: "SERVING" });
  private readonly states = new Map<string, DependencyState>();
  private timer: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(
    private readonly checks: readonly DependencyCheck[],
    private readonly servedServices: readonly string[],
    private readonly log: Logger,
  ) {
    for (const check of checks) this.states.set(check.name, "unknown");
  }

  async start(intervalMs: number): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), intervalMs);
    this.timer.unref();
  }

  get ready(): boolean {
    return !this.shuttingDown && this.checks.every((c) => !c.required || this.states.get(c.name) === "up");
  }

  snapshot(): { ready: boolean; dependencies: Record<string, DependencyState> } {
    return { ready: this.ready, dependencies: Object.fromEntries(this.states) };
  }

  /** First step of shutdown: load balancers stop sending new calls. */
  markShuttingDown(): void {
    this.shuttingDown = true;
    clearInterval(this.timer);
    this.publish();
  }

  private async probe(): Promise<void> {
    await Promise.all(
      this.checks.map(async ({ name, check }) => {
        const state: DependencyState = await check(AbortSignal.timeout(CHECK_TIMEOUT_MS)).then(
          () => "up",
          (error: unknown) => {
            if (this.states.get(name) !== "down") this.log.warn({ dependency: name, err: error }, "dependency down");
            return "down";
          },
        );
        if (state === "up" && this.states.get(name) === "down") this.log.info({ dependency: name }, "dependency up");
        this.states.set(name, state);
        // Published per dependency, not after the slowest check: /readyz reads the states
        // directly, and gRPC health must not answer SERVING while /readyz already says 503.
        this.publish();
      }),
    );
  }

  private publish(): void {
    const overall = this.ready ? "SERVING" : "NOT_SERVING";
    this.grpc.setStatus("", overall);
    for (const service of this.servedServices) this.grpc.setStatus(service, overall);
    for (const [name, state] of this.states) {
      this.grpc.setStatus(name, state === "up" && !this.shuttingDown ? "SERVING" : "NOT_SERVING");
    }
  }
}
