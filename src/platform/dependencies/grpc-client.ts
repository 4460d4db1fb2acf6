import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { propagateTrace } from "../tracing.js";

/** A gRPC transport to another service, carrying the trace on. */
export function grpcTransport(baseUrl: string): Transport {
  return createGrpcTransport({ baseUrl, idleConnectionTimeoutMs: 60_000, interceptors: [propagateTrace] });
}

/** Every call carries the shorter of the caller's deadline and the per-call budget. */
export const callOptions = (timeoutMs: number, signal: AbortSignal) => ({ timeoutMs, signal });
