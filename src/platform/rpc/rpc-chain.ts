import type {
  DescMethod,
  DescMethodServerStreaming,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import { Code, type ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { context as otelContext, SpanStatusCode, trace } from "@opentelemetry/api";
import { OverloadedError } from "../errors/domain-errors.js";
import { admissionOf, openScope, type RpcScope, type ScopeDeps } from "./rpc-scope.js";
import { requestProblemKey } from "../transport/strict-requests.js";
import { requireCapability } from "../auth/capability-grants.js";
import { requireAccess, viewerOf, type AccessTable, type ByViewer } from "../auth/visibility.js";

/** A handler gets its request and the call's scope; nothing reaches into a shared context. */
export type ScopedHandler<M extends DescMethod> =
  M extends DescMethodUnary<infer I, infer O>
    ? (request: MessageShape<I>, scope: RpcScope) => Promise<MessageInitShape<O>>
    : M extends DescMethodServerStreaming<infer I, infer O>
      ? (request: MessageShape<I>, scope: RpcScope) => AsyncIterable<MessageInitShape<O>>
      : never;

export type ScopedImpl<S extends DescService> = { [K in keyof S["method"]]?: ScopedHandler<S["method"][K]> };

export interface CallInfo {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly context: HandlerContext;
}

/**
 * One cross-cutting concern, around every call of either transport, unary or streaming alike.
 * `enter` runs before the handler, and throwing refuses the call; what it returns runs after
 * the call (for a stream, after its last message), with the call's error if it failed.
 */
export interface Layer {
  readonly name: string;
  enter(scope: RpcScope, call: CallInfo): ((failure: ConnectError | undefined) => void) | void;
}

/** The gRPC code a call ended with, as metrics and the access log name it. */
const codeName = (failure: ConnectError | undefined) => (failure ? Code[failure.code] : "OK");

/**
 * The chain every call passes, outermost first: what observes calls (metrics, trace, access log)
 * sees refused ones too. The request id, deadline, caller and EntityManager fork are the scope
 * itself, built once per call (rpc-scope.ts).
 */
export function standardLayers(deps: ScopeDeps, access: AccessRows): Layer[] {
  // The access line's fields are all known and none is secret, so it skips the redaction every
  // other line passes (logger.ts), which cost ten times the line itself (9 of 10 µs, measured here).
  const accessLog = deps.log.child({}, { redact: [] });
  return [
    {
      name: "metrics",
      enter(_scope, { service, method }) {
        deps.metrics?.started(service.typeName, method.name);
        const started = performance.now();
        return (failure) => deps.metrics?.finished(service.typeName, method.name, codeName(failure), (performance.now() - started) / 1000);
      },
    },
    {
      name: "tracing",
      enter: (scope) => (failure) => {
        scope.span.setAttribute("rpc.grpc.status_code", failure?.code ?? 0);
        if (failure) scope.span.setStatus({ code: SpanStatusCode.ERROR, message: Code[failure.code] });
        scope.span.end();
      },
    },
    {
      name: "access log",
      enter(scope) {
        const started = performance.now();
        return (failure) =>
          accessLog.info({ ...scope.logFields, code: codeName(failure), ms: Math.round(performance.now() - started) }, "rpc");
      },
    },
    {
      // Who the caller is was decided by the transport from the headers (auth/admission.ts); a refusal ends the call here.
      name: "auth",
      enter(_scope, { context }) {
        const outcome = admissionOf(context);
        if ("refused" in outcome) throw outcome.refused;
      },
    },
    {
      // Who may call what is one table per service (e.g. orders/order-access.ts), read here and nowhere else.
      name: "access",
      enter(scope, { service, method }) {
        requireAccess(access[method.localName] ?? NOBODY, viewerOf(scope.principal), method.name);
        requireCapability(scope.principal, `${service.typeName}/${method.name}`);
      },
    },
    {
      // A request the transport refused before decoding it (strict-requests.ts): over a list's maximum, too large, or not parsing.
      name: "request",
      enter(_scope, { context }) {
        const problem = context.values.get(requestProblemKey);
        if (problem) throw problem;
      },
    },
    { name: "drain", enter: () => deps.drain.throwIfDraining() },
    {
      // Queued calls would each hold memory and wait for a pool connection past their deadline, so the
      // excess is refused at once. A stream lives as long as its caller: it counts against the stream
      // limits (in the process and per caller) instead, or a few watchers would starve unary calls.
      name: "limits",
      enter(scope, { method }) {
        if (method.methodKind === "server_streaming") return deps.streamLimit.enter(scope.principal.userId, method.name);
        if (!deps.callLimit.tryEnter()) throw new OverloadedError(deps.callLimit.max);
        return () => deps.callLimit.leave();
      },
    },
  ];
}

/** A service with its handlers, for either transport, without naming (or casting away) its type. */
export type Served = <R>(use: <S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>) => R) => R;

/** A service's access table, as the chain reads it: a method without a row is refused to everyone. */
type AccessRows = Readonly<Record<string, ByViewer | undefined>>;
const NOBODY: ByViewer = { customer: false, seller: false, staff: false };

/**
 * Runs every method of `impl` through `layers`, mapping errors to gRPC statuses once, at the end.
 * `access` says who may call each method; it is required, so no service is served without one.
 */
export function serve<S extends DescService>(
  service: S,
  impl: ScopedImpl<S>,
  access: AccessTable<S>,
  deps: ScopeDeps,
  layers = standardLayers(deps, access),
): Served {
  const handlers: Record<string, unknown> = {};
  for (const method of service.methods) {
    const handler = impl[method.localName as keyof S["method"]] as ((request: unknown, scope: RpcScope) => unknown) | undefined;
    if (!handler) continue;
    handlers[method.localName] =
      method.methodKind === "server_streaming"
        ? (request: unknown, context: HandlerContext) => streamThrough(layers, deps, { service, method, context }, request, handler)
        : (request: unknown, context: HandlerContext) => unaryThrough(layers, deps, { service, method, context }, request, handler);
  }
  // The one cast: the handlers were built from the service's own method list, one per method it declares.
  const connectImpl = handlers as Partial<ServiceImpl<S>>;
  return (use) => use(service, connectImpl);
}

function enterAll(layers: readonly Layer[], scope: RpcScope, call: CallInfo, exits: ((failure: ConnectError | undefined) => void)[]) {
  for (const layer of layers) {
    const exit = layer.enter(scope, call);
    if (exit) exits.push(exit);
  }
}

function exitAll(exits: ((failure: ConnectError | undefined) => void)[], failure: ConnectError | undefined) {
  for (const exit of exits.reverse()) exit(failure);
}

function unaryThrough(
  layers: readonly Layer[],
  deps: ScopeDeps,
  call: CallInfo,
  request: unknown,
  handler: (request: unknown, scope: RpcScope) => unknown,
) {
  const { scope, close } = openScope(call.context, deps);
  // The handler runs in the call's span, so calls it makes to other services join the trace.
  return otelContext.with(trace.setSpan(otelContext.active(), scope.span), async () => {
    const exits: ((failure: ConnectError | undefined) => void)[] = [];
    try {
      enterAll(layers, scope, call, exits);
      const response = await handler(request, scope);
      exitAll(exits, undefined);
      return response;
    } catch (error) {
      const failure = deps.toConnectError(error, scope.log);
      exitAll(exits, failure);
      throw failure;
    } finally {
      close();
    }
  });
}

async function* streamThrough(
  layers: readonly Layer[],
  deps: ScopeDeps,
  call: CallInfo,
  request: unknown,
  handler: (request: unknown, scope: RpcScope) => unknown,
) {
  const { scope, close } = openScope(call.context, deps);
  const exits: ((failure: ConnectError | undefined) => void)[] = [];
  let failure: ConnectError | undefined;
  try {
    enterAll(layers, scope, call, exits);
    yield* handler(request, scope) as AsyncIterable<unknown>;
  } catch (error) {
    failure = deps.toConnectError(error, scope.log);
    throw failure;
  } finally {
    // Also when the caller leaves early: the generator is returned, and the stream's place freed.
    exitAll(exits, failure);
    close();
  }
}
