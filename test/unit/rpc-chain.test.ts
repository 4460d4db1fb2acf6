import { ConnectError, Code, createContextValues, createHandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { admissionKey } from "../../src/platform/auth/admission.js";
import { CallLimit } from "../../src/platform/rpc/call-limit.js";
import { Drain } from "../../src/platform/rpc/drain.js";
import { createErrorMapper } from "../../src/platform/errors/error-mapper.js";
import { serve, standardLayers, type Layer } from "../../src/platform/rpc/rpc-chain.js";
import type { ScopeDeps } from "../../src/platform/rpc/rpc-scope.js";
import { StreamLimit } from "../../src/platform/rpc/stream-limit.js";
import { NotFoundError } from "../../src/platform/errors/domain-errors.js";
import { ORDER_ACCESS } from "../../src/orders/rpc/order-access.js";

/** The chain alone, on hand-made calls: no transport, no database (the handlers touch neither). */
function deps(): ScopeDeps {
  return {
    log: pino({ level: "silent" }),
    defaultTimeoutMs: 5_000,
    maxTimeoutMs: 60_000,
    forkEntityManager: () => ({}) as EntityManager,
    callLimit: new CallLimit(1),
    streamLimit: new StreamLimit(1, 1),
    drain: new Drain(),
    toConnectError: createErrorMapper([]),
  };
}

function contextFor(methodName: "getOrder" | "watchOrder", admitted = true) {
  const method = OrderService.method[methodName];
  return createHandlerContext({
    service: OrderService,
    method,
    protocolName: "test",
    requestMethod: "POST",
    url: `/${OrderService.typeName}/${method.name}`,
    requestSignal: new AbortController().signal,
    contextValues: createContextValues().set(
      admissionKey,
      admitted ? { principal: { userId: "u1", roles: ["customer"] } } : { refused: new ConnectError("no", Code.Unauthenticated) },
    ),
  });
}

function handlersOf(served: ReturnType<typeof serve>): Partial<ServiceImpl<typeof OrderService>> {
  return served((_service, impl) => impl as Partial<ServiceImpl<typeof OrderService>>);
}

function recorder(log: string[]): Layer[] {
  return ["outer", "inner"].map((name) => ({
    name,
    enter: (scope, call) => {
      log.push(`enter ${name} ${call.method.name} ${scope.rpc}`);
      return (failure) => void log.push(`exit ${name} ${failure ? Code[failure.code] : "OK"}`);
    },
  }));
}

describe("the call chain", () => {
  it("when a unary call fails, then layers enter outermost first, exit innermost first, and all see the mapped status", async () => {
    const log: string[] = [];
    const impl = handlersOf(
      serve(OrderService, { getOrder: async () => Promise.reject(new NotFoundError("order", "o1")) }, ORDER_ACCESS, deps(), recorder(log)),
    );
    await expect(Promise.resolve(impl.getOrder!({} as never, contextFor("getOrder")))).rejects.toMatchObject({ code: Code.NotFound });
    expect(log).toEqual(["enter outer GetOrder GetOrder", "enter inner GetOrder GetOrder", "exit inner NotFound", "exit outer NotFound"]);
  });

  it("when a stream's caller leaves early, then every layer it entered still exits, so its place is freed", async () => {
    const log: string[] = [];
    async function* forever() {
      for (;;) yield { heartbeat: true };
    }
    const impl = handlersOf(serve(OrderService, { watchOrder: forever }, ORDER_ACCESS, deps(), recorder(log)));
    for await (const _ of impl.watchOrder!({} as never, contextFor("watchOrder"))) break;
    expect(log).toEqual(["enter outer WatchOrder WatchOrder", "enter inner WatchOrder WatchOrder", "exit inner OK", "exit outer OK"]);
  });

  it("when a call is refused by auth, then the handler never runs and the observers still see it", async () => {
    const d = deps();
    let ran = false;
    const impl = handlersOf(serve(OrderService, { getOrder: async () => ((ran = true), {}) }, ORDER_ACCESS, d));
    await expect(Promise.resolve(impl.getOrder!({} as never, contextFor("getOrder", false)))).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    expect(ran).toBe(false);
    expect(d.callLimit.inProgress).toBe(0);
  });

  it("when unary calls exceed the limit, then the excess is UNAVAILABLE, and the limit is given back after each call", async () => {
    const d = deps();
    let release!: () => void;
    const impl = handlersOf(
      serve(OrderService, { getOrder: () => new Promise((resolve) => (release = () => resolve({}))) }, ORDER_ACCESS, d),
    );
    const first = impl.getOrder!({} as never, contextFor("getOrder"));
    await expect(Promise.resolve(impl.getOrder!({} as never, contextFor("getOrder")))).rejects.toMatchObject({ code: Code.Unavailable });
    release();
    await first;
    expect(d.callLimit.inProgress).toBe(0);
  });

  it("when streams exceed the stream limit, then the next is refused, and leaving frees the place", async () => {
    const d = deps();
    async function* one() {
      yield { heartbeat: true };
      await new Promise(() => undefined);
    }
    const impl = handlersOf(serve(OrderService, { watchOrder: one }, ORDER_ACCESS, d));
    const first = impl.watchOrder!({} as never, contextFor("watchOrder"))[Symbol.asyncIterator]();
    await first.next();
    const second = impl.watchOrder!({} as never, contextFor("watchOrder"))[Symbol.asyncIterator]();
    await expect(second.next()).rejects.toMatchObject({ code: Code.ResourceExhausted });
    await first.return!();
    expect(d.streamLimit.openStreams).toBe(0);
  });

  it("the standard chain: observers outermost, then auth, access, the refused request, drain and limits", () => {
    expect(standardLayers(deps(), ORDER_ACCESS).map((layer) => layer.name)).toEqual([
      "metrics",
      "tracing",
      "access log",
      "auth",
      "access",
      "request",
      "drain",
      "limits",
    ]);
  });

  it("when calls end, then their deadline timers end with them instead of waiting out the deadline", async () => {
    const handlers = handlersOf(serve(OrderService, { getOrder: () => Promise.resolve({}) }, ORDER_ACCESS, deps(), []));
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const before = timers();
    for (let i = 0; i < 50; i++) await handlers.getOrder!({} as never, contextFor("getOrder"));
    expect(timers() - before).toBeLessThan(5);
  });
});
