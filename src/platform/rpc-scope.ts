import { randomUUID } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  createContextKey,
  type HandlerContext,
  type ServiceImpl,
} from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import { DeadlineExceededError } from "./domain-errors.js";
import { toConnectError } from "./error-mapper.js";

/** What every handler gets for one call: its id, logger, deadline, and its own EntityManager. */
export interface RpcScope {
  readonly requestId: string;
  readonly log: Logger;
  /** Aborts at the call's deadline (the client's, or the server default when it sent none). */
  readonly signal: AbortSignal;
  /** Epoch milliseconds. */
  readonly deadline: number;
  readonly em: EntityManager;
  /** Who is acting, for the audit trail: the x-actor header until authentication replaces it. */
  readonly actor: string;
}

export interface ScopeDeps {
  readonly log: Logger;
  readonly defaultTimeoutMs: number;
  readonly forkEntityManager: () => EntityManager;
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
 * an EntityManager fork, one access log line, and error mapping.
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
    const enter = (context: HandlerContext) => openScope(context, deps);
    const finish = (scope: RpcScope, started: number, error?: unknown) => {
      const connectError = error === undefined ? undefined : toConnectError(error, scope.log);
      const code = connectError ? Code[connectError.code] : "OK";
      scope.log.info({ code, ms: Math.round(performance.now() - started) }, "rpc");
      if (connectError) throw connectError;
    };
    wrapped[method.localName] =
      method.methodKind === "server_streaming"
        ? async function* (request, context) {
            const scope = enter(context);
            const started = performance.now();
            try {
              yield* original(request, context) as AsyncIterable<unknown>;
            } catch (error) {
              finish(scope, started, error);
            }
            finish(scope, started);
          }
        : async (request, context) => {
            const scope = enter(context);
            const started = performance.now();
            try {
              const response = await original(request, context);
              finish(scope, started);
              return response;
            } catch (error) {
              finish(scope, started, error);
            }
          };
  }
  return wrapped as Partial<ServiceImpl<S>>;
}

function openScope(context: HandlerContext, deps: ScopeDeps): RpcScope {
  const given = context.requestHeader.get("x-request-id");
  const requestId = given && requestIdPattern.test(given) ? given : randomUUID();
  context.responseHeader.set("x-request-id", requestId);
  // A stream (WatchOrder) lives as long as its caller wants; only unary calls get the default deadline.
  const streaming = context.method.methodKind === "server_streaming";
  const timeoutMs = context.timeoutMs() ?? (streaming ? undefined : deps.defaultTimeoutMs);
  const scope: RpcScope = {
    requestId,
    log: deps.log.child({ requestId, rpc: `${context.service.name}/${context.method.name}`, protocol: context.protocolName }),
    signal: timeoutMs === undefined ? context.signal : AbortSignal.any([context.signal, AbortSignal.timeout(Math.max(timeoutMs, 0))]),
    deadline: timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs,
    em: deps.forkEntityManager(),
    actor: actorOf(context.requestHeader.get("x-actor")),
  };
  context.values.set(scopeKey, scope);
  return scope;
}

function actorOf(header: string | null): string {
  return header && requestIdPattern.test(header) ? header : "anonymous";
}

/** For use cases: stop before a step that cannot be undone when the caller has given up. */
export function throwIfExpired(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw new DeadlineExceededError();
}
