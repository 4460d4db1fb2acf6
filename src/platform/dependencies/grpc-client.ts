import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { propagateTrace } from "../observability/tracing.js";
import { grpcJsTransport } from "./grpc-js-transport.js";

/** Which HTTP/2 client calls other services (DEPENDENCY_CLIENT); grpc-js unless measuring the other. */
export type DependencyClient = "grpc-js" | "connect-node";

const IDLE_TIMEOUT_MS = 60_000;

/** A gRPC transport to another service, carrying the trace on. */
export function grpcTransport(baseUrl: string, client: DependencyClient = "grpc-js"): Transport {
  return client === "grpc-js"
    ? grpcJsTransport(baseUrl, { idleTimeoutMs: IDLE_TIMEOUT_MS })
    : createGrpcTransport({ baseUrl, idleConnectionTimeoutMs: IDLE_TIMEOUT_MS, interceptors: [propagateTrace] });
}

/** Every call carries the shorter of the caller's deadline and the per-call budget. */
export const callOptions = (timeoutMs: number, signal: AbortSignal) => ({ timeoutMs, signal });
