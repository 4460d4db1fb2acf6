import * as grpc from "@grpc/grpc-js";
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { InsufficientStockSchema, InventoryService, type StockLine } from "../../gen/shop/inventory/v1/inventory_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { PaymentService } from "../../gen/shop/payment/v1/payment_pb.js";
import { ProductService, type ProductSchema } from "../../gen/shop/product/v1/product_pb.js";
import { addConnectService } from "../../src/platform/transport/grpc-adapter.js";
import { referencePaymentService } from "../../src/payments/reference/reference-payments.js";

/** "late": answers after `ms` even if the caller gave up, and does the work anyway (outcome unknown to the caller). */
export type Behaviour =
  { kind: "ok" } | { kind: "hang" } | { kind: "fail"; code: Code } | { kind: "delay"; ms: number } | { kind: "late"; ms: number };
/** Kept for the foundation tests' wording. */
export type ProductBehaviour = Behaviour;

/**
 * How a test server answers: `queue` is used up one call at a time (e.g. fail twice, then
 * answer), after which `behaviour` applies to every call. `calls` counts what arrived.
 */
export class Script {
  calls = 0;
  /** Calls whose caller went away (or timed out) while they were delayed or hanging. */
  aborted = 0;
  readonly queue: Behaviour[] = [];
  constructor(public behaviour: Behaviour = { kind: "ok" }) {}

  async play(signal: AbortSignal): Promise<void> {
    this.calls++;
    const behaviour = this.queue.shift() ?? this.behaviour;
    if (behaviour.kind === "ok") return;
    if (behaviour.kind === "fail") throw new ConnectError(`test failure (${Code[behaviour.code]})`, behaviour.code);
    if (behaviour.kind === "late") return void (await new Promise((resolve) => setTimeout(resolve, behaviour.ms)));
    const ms = behaviour.kind === "hang" ? 3_600_000 : behaviour.ms;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        "abort",
        () => {
          this.aborted++;
          clearTimeout(timer);
        },
        { once: true },
      );
    });
  }
}

async function serve<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>) {
  const server = new grpc.Server();
  addConnectService(server, service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

const testProducts: Record<string, MessageInitShape<typeof ProductSchema>> = {
  "prod-mug": { id: "prod-mug", sku: "MUG-001", name: "Stoneware mug", price: { currencyCode: "USD", amountMinor: 1250n }, active: true },
  "prod-tee": { id: "prod-tee", sku: "TEE-001", name: "Cotton tee", price: { currencyCode: "USD", amountMinor: 2400n }, active: true },
};

/**
 * A real gRPC Product service on a random port that misbehaves on purpose: it hangs, fails, or
 * answers slowly, so tests see how the order service copes.
 */
export async function startProductTestServer(behaviour: Behaviour = { kind: "ok" }) {
  const script = new Script(behaviour);
  const traceparents: string[] = [];
  const server = await serve(ProductService, {
    async batchGetProducts(request, context) {
      traceparents.push(context.requestHeader.get("traceparent") ?? "");
      await script.play(context.signal);
      return {
        products: request.ids.flatMap((id) => (testProducts[id] ? [testProducts[id]] : [])),
        missingIds: request.ids.filter((id) => !testProducts[id]),
      };
    },
  });
  return { ...server, script, traceparents };
}

/** A real gRPC Inventory service with in-memory stock, scripted the same way per call. */
export async function startInventoryTestServer(stock: Record<string, number> = { "prod-mug": 100, "prod-tee": 100 }) {
  const script = new Script();
  const held = new Map<string, StockLine[]>();
  // As the contract asks: a release seen before its reserve makes that reserve take nothing.
  const released = new Set<string>();
  const take = (lines: StockLine[]) => {
    const shortages = lines
      .filter((line) => (stock[line.productId] ?? 0) < line.quantity)
      .map((line) => ({ productId: line.productId, requested: line.quantity, available: stock[line.productId] ?? 0 }));
    if (shortages.length) {
      throw new ConnectError("insufficient stock", Code.FailedPrecondition, undefined, [
        { desc: InsufficientStockSchema, value: { shortages } },
      ]);
    }
    for (const line of lines) stock[line.productId]! -= line.quantity;
  };
  const giveBack = (lines: StockLine[] = []) =>
    lines.forEach((line) => (stock[line.productId] = (stock[line.productId] ?? 0) + line.quantity));
  const server = await serve(InventoryService, {
    async checkAvailability(request, context) {
      await script.play(context.signal);
      const lines = request.lines.map((line) => ({
        productId: line.productId,
        requested: line.quantity,
        available: stock[line.productId] ?? 0,
      }));
      return { lines, allAvailable: lines.every((line) => line.available >= line.requested) };
    },
    async reserveStock(request, context) {
      await script.play(context.signal);
      if (!held.has(request.reservationId) && !released.has(request.reservationId)) {
        take(request.lines);
        held.set(request.reservationId, request.lines);
      }
      return {};
    },
    async adjustReservation(request, context) {
      await script.play(context.signal);
      const before = held.get(request.reservationId);
      giveBack(before);
      try {
        take(request.lines);
      } catch (error) {
        if (before) take(before);
        throw error;
      }
      held.set(request.reservationId, request.lines);
      return {};
    },
    async releaseReservation(request, context) {
      await script.play(context.signal);
      giveBack(held.get(request.reservationId));
      held.delete(request.reservationId);
      released.add(request.reservationId);
      return {};
    },
    async commitReservation(request, context) {
      await script.play(context.signal);
      held.delete(request.reservationId);
      return {};
    },
  });
  return { ...server, script, stock, held };
}

/**
 * A real gRPC Payment service, scripted per call like the others; `seen` keeps each call's name
 * and idempotency key, so a test can tell what was authorized, captured, voided or refunded.
 */
export async function startPaymentTestServer(behaviour: Behaviour = { kind: "ok" }) {
  const script = new Script(behaviour);
  const seen: { call: string; key: string }[] = [];
  const server = await serve(PaymentService, {
    async authorize(request, context) {
      seen.push({ call: "authorize", key: request.idempotencyKey });
      await script.play(context.signal);
      return { outcome: { case: "authorized", value: { authorizationId: `auth-${request.idempotencyKey}` } } };
    },
    async capture(request, context) {
      seen.push({ call: "capture", key: request.idempotencyKey });
      await script.play(context.signal);
      return { transactionId: `tx-${request.idempotencyKey}` };
    },
    async refund(request, context) {
      seen.push({ call: "refund", key: request.idempotencyKey });
      await script.play(context.signal);
      return { refundId: `re-${request.idempotencyKey}` };
    },
    async void(request, context) {
      seen.push({ call: "void", key: request.idempotencyKey });
      await script.play(context.signal);
      return {};
    },
  });
  return { ...server, script, seen };
}

/**
 * The reference Payment service (it remembers each key's answer and moves money once per key) on a
 * real gRPC port of its own, outliving the order service it serves. `moves` counts the refunds that
 * gave money back (a new key), `calls` every Refund call; `beforeRefundAnswer` runs after the
 * refund is done and before the answer is sent: a test kills the order service there.
 */
export async function startRecordingPaymentServer(beforeRefundAnswer: (key: string) => Promise<void> = async () => undefined) {
  const reference = referencePaymentService();
  const refunds = { calls: [] as string[], moves: new Set<string>() };
  const server = await serve(PaymentService, {
    authorize: (request, context) => reference.authorize(request, context),
    capture: (request, context) => reference.capture(request, context),
    void: (request, context) => reference.void(request, context),
    async refund(request, context) {
      refunds.calls.push(request.idempotencyKey);
      const answer = await reference.refund(request, context);
      refunds.moves.add(request.idempotencyKey);
      await beforeRefundAnswer(request.idempotencyKey);
      return answer;
    },
  });
  return { ...server, refunds };
}
