import * as http from "node:http";
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateOrderRequestSchema, OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { failure, reasonOf } from "../support/errors.js";
import { frame } from "../support/raw-calls.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

const MiB = 1024 * 1024;

/** Live bytes after a full collection: V8's heap plus buffers outside it. */
function liveBytes(): number {
  globalThis.gc!();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** A CreateOrder request of about 1 MiB (its notes); well-formed, so only authentication can refuse it. */
const bigMessage = frame(
  toBinary(CreateOrderRequestSchema, create(CreateOrderRequestSchema, { requestId: "r-1", notes: "x".repeat(MiB) })),
);

interface StreamedAttack {
  /** grpc-status, when the server answered. */
  code?: number;
  /** Bytes written before the answer came (or all of them, if it came only after the end). */
  sentBeforeAnswer: number;
  answeredBeforeEnd: boolean;
  /** Live bytes in this process (which runs the service) while the call was still open. */
  growthWhileOpen: number;
}

/** Opens a gRPC call with the given headers and streams `messages` messages (1 MiB unless given) into it, pausing `pauseMs` after each, before ending it. */
async function streamInto(
  port: number,
  method: string,
  headers: Record<string, string>,
  messages: number,
  body = bigMessage,
  pauseMs = 0,
): Promise<StreamedAttack> {
  const before = liveBytes();
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => undefined);
  const stream = session.request({ ":method": "POST", ":path": method, "content-type": "application/grpc", te: "trailers", ...headers });
  let code: number | undefined;
  let sent = 0;
  let sentBeforeAnswer = 0;
  let ended = false;
  let answeredBeforeEnd = false;
  const answered = new Promise<void>((resolve) => {
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] === undefined || code !== undefined) return;
      code = Number(h["grpc-status"]);
      sentBeforeAnswer = sent;
      answeredBeforeEnd = !ended;
      resolve();
    };
    stream.on("response", take);
    stream.on("trailers", take);
    stream.on("close", () => resolve());
  });
  stream.on("error", () => undefined);
  stream.on("data", () => undefined);
  for (let i = 0; i < messages && !stream.closed && code === undefined; i++) {
    const flushed = stream.write(body);
    sent += body.length;
    if (!flushed)
      await Promise.race([
        new Promise((resolve) => stream.once("drain", resolve)),
        answered,
        new Promise((resolve) => setTimeout(resolve, 2_000)),
      ]);
    if (pauseMs) await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, pauseMs))]);
  }
  const growthWhileOpen = liveBytes() - before;
  ended = true;
  if (!stream.closed) stream.end();
  await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (code === undefined) sentBeforeAnswer = sent;
  session.destroy();
  return { code, sentBeforeAnswer, answeredBeforeEnd, growthWhileOpen };
}

describe("attack: making the service read and hold request bodies before it knows who is calling", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ MAX_MESSAGE_BYTES: String(2 * MiB), AUTH_FAILURES_PER_MINUTE: "0" });
  });
  afterAll(() => app?.stop());

  it("when a peer with no token streams 1 MiB messages into a unary gRPC call, then it is refused after the headers and the heap does not grow", async () => {
    const attack = await streamInto(app.grpcPort, "/shop.order.v1.OrderService/CreateOrder", {}, 48);
    expect(attack.code).toBe(16);
    expect(attack.answeredBeforeEnd).toBe(true);
    expect(attack.sentBeforeAnswer).toBeLessThanOrEqual(4 * MiB);
    expect(attack.growthWhileOpen).toBeLessThan(8 * MiB);
  });

  it("when a peer with no token streams into WatchOrder over gRPC, then it is refused after the headers", async () => {
    const attack = await streamInto(app.grpcPort, "/shop.order.v1.OrderService/WatchOrder", {}, 16);
    expect(attack.code).toBe(16);
    expect(attack.answeredBeforeEnd).toBe(true);
  });

  it("when an authenticated caller sends a second message on a unary call, then INVALID_ARGUMENT ends it at once", async () => {
    const small = frame(toBinary(CreateOrderRequestSchema, create(CreateOrderRequestSchema, { requestId: "r-2" })));
    const attack = await streamInto(
      app.grpcPort,
      "/shop.order.v1.OrderService/CreateOrder",
      { authorization: `Bearer ${await token("two-messages")}` },
      8,
      small,
      200,
    );
    expect(attack.code).toBe(3);
    expect(attack.answeredBeforeEnd).toBe(true);
    expect(attack.sentBeforeAnswer).toBeLessThanOrEqual(2 * small.length);
  });

  it.each([
    ["Connect", "application/json"],
    ["gRPC-Web", "application/grpc-web+proto"],
  ])("when a peer with no token starts a 2 MiB %s body, then it is refused before the body is read", async (_, contentType) => {
    const answer = await new Promise<{ status: number; body: string; sentBeforeAnswer: number }>((resolve, reject) => {
      let sent = 0;
      const request = http.request(
        {
          host: "127.0.0.1",
          port: app.httpPort,
          method: "POST",
          path: "/shop.order.v1.OrderService/CreateOrder",
          headers: { "content-type": contentType, "content-length": 2 * MiB },
        },
        (response) => {
          const sentBeforeAnswer = sent;
          let body = "";
          response.on("data", (chunk) => (body += chunk));
          response.on("end", () => {
            resolve({ status: response.statusCode!, body: body + String(response.headers["grpc-status"] ?? ""), sentBeforeAnswer });
            request.destroy();
          });
        },
      );
      request.on("error", (error) => (sent < 2 * MiB ? undefined : reject(error)));
      request.write(Buffer.alloc(64 * 1024, 0x20));
      sent += 64 * 1024;
      setTimeout(() => reject(new Error(`no answer while the body was still coming (${sent} bytes sent)`)), 3_000).unref();
    });
    expect(answer.sentBeforeAnswer).toBeLessThan(2 * MiB);
    expect(answer.body).toMatch(/"code":"unauthenticated"|grpc-status: 16/);
  });

  it("when one peer keeps sending bad tokens, then after AUTH_FAILURES_PER_MINUTE its failing calls are RESOURCE_EXHAUSTED, while valid tokens, known or new, still pass", async () => {
    const limited = await startTestApp({ AUTH_FAILURES_PER_MINUTE: "5" });
    try {
      const good = limited.connect(OrderService, await token("honest-user"));
      await good.listOrders({});
      const forged = await token("honest-user", ["admin"], { secret: "guessed-secret-guessed-secret-0123456" });
      const codes: Code[] = [];
      for (let i = 0; i < 5; i++) codes.push((await failure(limited.connect(OrderService, forged).listOrders({}))).code);
      expect(codes.every((c) => c === Code.Unauthenticated)).toBe(true);
      const refused = await failure(limited.connect(OrderService, forged).listOrders({}));
      expect(refused.code).toBe(Code.ResourceExhausted);
      expect(reasonOf(refused)).toBe("AUTHENTICATION_FAILURES");
      await expect(good.listOrders({})).resolves.toBeDefined();
      await expect(limited.connect(OrderService, await token("new-user")).listOrders({})).resolves.toBeDefined();
    } finally {
      await limited.stop();
    }
  });
});
