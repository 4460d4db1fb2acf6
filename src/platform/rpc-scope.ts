import { randomUUID } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import { context as otelContext, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import {
  Code,
  createContextKey,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import { admissionKey } from "./auth/admission.js";
import type { Principal } from "./auth/principal.js";
import type { RpcMetrics } from "./rpc-metrics.js";
import { contextFrom, tracer } from "./tracing.js";
import type { CallLimit } from "./call-limit.js";
import { DeadlineExceededError, OverloadedError } from "./domain-errors.js";
import type { ErrorMapper } from "./error-mapper.js";
import type { StreamLimit } from "./stream-limit.js";
import type { Drain } from "./drain.js";

/** What every handler gets for one call: its id, logger, deadline, and its own EntityManager. */
export interface RpcScope {
  readonly requestId: string;
  readonly log: Logger;
  /** Aborts at the call's deadline (the client's, or the server default when it sent none). */
  readonly signal: AbortSignal;
  /** Epoch milliseconds. */
  readonly deadline: number;
  readonly em: EntityManager;
  readonly principal: Principal;
  readonly headers: Headers;
  readonly span: Span;
  /** Who is acting, for the audit trail: the caller's user id. */
  readonly actor: string;
}

export interface ScopeDeps {
  readonly log: Logger;
  readonly defaultTimeoutMs: number;
  /** Longer deadlines asked by a client are cut to this. */
  readonly maxTimeoutMs: number;
  readonly forkEntityManager: () => EntityManager;
  /** Unary calls in progress in this process, shared by every service; past its limit calls get UNAVAILABLE at once. */
  readonly callLimit: CallLimit;
  /** Streams open in this process and per caller. */
  readonly streamLimit: StreamLimit;
  /** Once shutdown starts, new calls are refused and streams end. */
  readonly drain: Drain;
  /** Errors to gRPC statuses with details (platform/error-mapper.ts and the features' encoders). */
  readonly toConnectError: ErrorMapper;
  readonly metrics?: RpcMetrics;
}

const scopeKey = createContextKey<RpcScope | undefined>(undefined, { description: "rpc scope" });
const requestIdPattern = /^[\w.:-]{1,128}$/;

export function scopeOf(context: HandlerContext): RpcScope {
  const scope = context.values.get(scopeKey);
  if (!scope) throw new Error(`${context.method.name} was not wrapped by withRpcScope`);
  return scope;
}

type AnyImpl = (request: unknown, context: HandlerContext) => unknown;

/**
 * Wraps each method of a service implementation with what every call needs, whichever
 * transport (grpc-js or connect-node) delivers it: a request id, a child logger, a deadline,
 * an EntityManager fork, one access log line, and error mapping. Who the caller is was decided
 * by the transport from the headers (auth/admission.ts); a refused call ends here, logged and
 * counted like any other failure.
 */
export function withRpcScope<S extends DescService>(
  service: S,
  impl: Partial<ServiceImpl<S>>,
  deps: ScopeDeps,
): Partial<ServiceImpl<S>> {
  const wrapped: Record<string, AnyImpl> = {};
  for (const method of service.methods) {
    const original = (impl as Record<string, AnyImpl | undefined>)[method.localName];
    if (!original) continue;
    const enter = (context: HandlerContext) => {
      deps.metrics?.started(service.typeName, method.name);
      return openScope(context, deps);
    };
    const finish = (scope: RpcScope, started: number, error?: unknown) => {
      const connectError = error === undefined ? undefined : deps.toConnectError(error, scope.log);
      const code = connectError ? Code[connectError.code]! : "OK";
      const ms = performance.now() - started;
      scope.span.setAttribute("rpc.grpc.status_code", connectError?.code ?? 0);
      if (connectError) scope.span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      scope.span.end();
      deps.metrics?.finished(service.typeName, method.name, code, ms / 1000);
      scope.log.info({ code, ms: Math.round(ms) }, "rpc");
      if (connectError) throw connectError;
    };
    wrapped[method.localName] =
      method.methodKind === "server_streaming"
        ? async function* (request, context) {
            const scope = enter(context);
            const started = performance.now();
            let leave: (() => void) | undefined;
            try {
              throwIfRefused(context);
              deps.drain.throwIfDraining();
              leave = deps.streamLimit.enter(scope.principal.userId, method.name);
              yield* original(request, context) as AsyncIterable<unknown>;
            } catch (error) {
              finish(scope, started, error);
            } finally {
              leave?.();
            }
            finish(scope, started);
          }
        : (request, context) => {
            const scope = enter(context);
            const started = performance.now();
            // The handler runs in the call's span, so calls it makes to other services join the trace.
            return otelContext.with(trace.setSpan(otelContext.active(), scope.span), async () => {
              // Queued calls would each hold memory and wait for a pool connection past their
              // deadline; refusing the excess keeps the process within its heap under overload.
              let admitted = false;
              try {
                throwIfRefused(context);
                deps.drain.throwIfDraining();
                admitted = deps.callLimit.tryEnter();
                if (!admitted) throw new OverloadedError(deps.callLimit.max);
                const response = await original(request, context);
                finish(scope, started);
                return response;
              } catch (error) {
                finish(scope, started, error);
              } finally {
                if (admitted) deps.callLimit.leave();
              }
            });
          };
  }
  return wrapped as Partial<ServiceImpl<S>>;
}

/** Nobody is anybody until authenticated. */
const NOBODY: Principal = { userId: "", roles: [] };

function admissionOf(context: HandlerContext) {
  const outcome = context.values.get(admissionKey);
  if (!outcome) throw new Error(`${context.method.name} reached its handler without passing admission`);
  return outcome;
}

function throwIfRefused(context: HandlerContext): void {
  const outcome = admissionOf(context);
  if ("refused" in outcome) throw outcome.refused;
}

function openScope(context: HandlerContext, deps: ScopeDeps): RpcScope {
  const given = context.requestHeader.get("x-request-id");
  const requestId = given && requestIdPattern.test(given) ? given : randomUUID();
  context.responseHeader.set("x-request-id", requestId);
  const outcome = admissionOf(context);
  const principal = "principal" in outcome ? outcome.principal : NOBODY;
  // A stream (WatchOrder) lives as long as its caller wants; only unary calls get the default deadline.
  const streaming = context.method.methodKind === "server_streaming";
  const asked = context.timeoutMs();
  const timeoutMs = asked === undefined ? (streaming ? undefined : deps.defaultTimeoutMs) : Math.min(asked, deps.maxTimeoutMs);
  const rpc = `${context.service.name}/${context.method.name}`;
  const scope: RpcScope = {
    requestId,
    log: deps.log.child({ requestId, rpc, protocol: context.protocolName, ...(principal.userId ? { userId: principal.userId } : {}) }),
    signal: callSignal(context.signal, streaming ? deps.drain.signal : undefined, timeoutMs),
    deadline: timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs,
    em: deps.forkEntityManager(),
    principal,
    actor: principal.userId,
    headers: context.requestHeader,
    span: tracer().startSpan(
      `${context.service.typeName}/${context.method.name}`,
      { kind: SpanKind.SERVER, attributes: { "rpc.system": "grpc", "rpc.service": context.service.typeName, "rpc.method": context.method.name } },
      contextFrom(context.requestHeader),
    ),
  };
  context.values.set(scopeKey, scope);
  return scope;
}

/** The caller going away, the deadline, and for streams the start of a shutdown: whichever comes first. */
function callSignal(caller: AbortSignal, drain: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal {
  const signals = [caller, ...(drain ? [drain] : []), ...(timeoutMs === undefined ? [] : [AbortSignal.timeout(Math.max(timeoutMs, 0))])];
  return signals.length === 1 ? caller : AbortSignal.any(signals);
}

/** For use cases: stop before a step that cannot be undone when the caller has given up. */
export function throwIfExpired(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw new DeadlineExceededError();
}
