import { create, toBinary, toJsonString, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { arbitraryMessage, mutatedBytes, mutatedText } from "../support/fuzz.js";
import { frame, rawConnect, rawGrpc, rawGrpcWeb, type Answer } from "../support/raw-calls.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";
import { adminToken } from "../support/tokens.js";

/** Runs per method and transport; FUZZ_RUNS raises it for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
/** What a caller may cause: its own mistakes, missing things, conflicts, limits. Never INTERNAL, UNKNOWN or DATA_LOSS. */
const CALLER_CODES = new Set([
  Code.InvalidArgument, Code.NotFound, Code.AlreadyExists, Code.PermissionDenied, Code.FailedPrecondition,
  Code.Aborted, Code.OutOfRange, Code.ResourceExhausted, Code.Unauthenticated,
]);
/** Bytes or text that are not a valid request: the request is refused as such. */
const MALFORMED_CODES = new Set([Code.InvalidArgument, Code.ResourceExhausted, Code.Unauthenticated]);
const services: DescService[] = [OrderService, CartService];
const unaryMethods = services.flatMap((service) => service.methods.filter((method) => method.methodKind === "unary"));

let tried = 0;
const seen = new Map<string, number>();
function judge(where: string, answer: Answer, allowed: Set<number>) {
  tried++;
  seen.set(Code[answer.code] ?? String(answer.code), (seen.get(Code[answer.code] ?? String(answer.code)) ?? 0) + 1);
  if (answer.code !== 0 && !allowed.has(answer.code)) {
    throw new Error(`${where}: ${Code[answer.code] ?? answer.code} "${answer.message}"`);
  }
}

describe("hostile input over gRPC, Connect JSON and gRPC-Web", () => {
  let app: TestApp;
  let baseUrl: string;
  let heapBefore: number;
  beforeAll(async () => {
    // Garbage tokens by the hundred from one address: the failed-authentication limit (tested in
    // test/security) would answer them RESOURCE_EXHAUSTED before they are judged.
    app = await startTestApp({ MAX_MESSAGE_BYTES: String(256 * 1024), AUTH_FAILURES_PER_MINUTE: "0" });
    baseUrl = `http://127.0.0.1:${app.httpPort}`;
    heapBefore = process.memoryUsage().heapUsed;
  });
  afterAll(async () => {
    console.info(`hostile input: ${tried} inputs tried, answers ${JSON.stringify(Object.fromEntries(seen))}`);
    await app?.stop();
  });

  describe.each(unaryMethods.map((method) => [`${method.parent.name}/${method.name}`, method] as const))("%s", (_name, method) => {
    const service = method.parent;
    const arbitrary = arbitraryMessage(method.input);

    it("when any well-typed request arrives over the three transports, then only caller codes come back", async () => {
      const grpcClient = app.grpcClient(service);
      const clients: [string, Record<string, (request: unknown) => Promise<unknown>>][] = [
        ["connect", app.connect(service) as never],
        ["grpc-web", app.grpcWeb(service) as never],
      ];
      await fc.assert(
        fc.asyncProperty(arbitrary, async (request) => {
          const overGrpc = await unary(grpcClient, method.localName, request).then(
            () => ({ code: 0, message: "" }),
            (e: grpc.ServiceError) => ({ code: e.code, message: e.details }),
          );
          judge(`gRPC ${method.name} ${JSON.stringify(request, jsonSafe)}`, overGrpc, CALLER_CODES);
          for (const [transport, client] of clients) {
            const answer = await client[method.localName]!(request).then(
              () => ({ code: 0, message: "" }),
              (e: unknown) => ({ code: ConnectError.from(e).code, message: ConnectError.from(e).rawMessage }),
            );
            judge(`${transport} ${method.name} ${JSON.stringify(request, jsonSafe)}`, answer, CALLER_CODES);
          }
        }),
        { numRuns: RUNS },
      );
    });

    it("when the encoded request is mutated byte by byte (gRPC, gRPC-Web) or character by character (Connect JSON), then it is refused as malformed or answered", async () => {
      // A random request to start from; one that JSON can carry (timestamps in range).
      const [binary, json] = fc
        .sample(arbitrary, { numRuns: 50, seed: 42 })
        .map((sample) => create(method.input, sample as never))
        .flatMap((message) => {
          try {
            return [[toBinary(method.input, message), toJsonString(method.input, message)] as const];
          } catch {
            return [];
          }
        })[0]!;
      await fc.assert(
        fc.asyncProperty(mutatedBytes(binary), mutatedText(json), async (bytes, text) => {
          judge(`gRPC ${method.name} bytes ${bytes.toString("hex")}`, await rawGrpc(app.grpcPort, method, frame(bytes), adminToken), CALLER_CODES);
          judge(`gRPC-Web ${method.name} bytes ${bytes.toString("hex")}`, await rawGrpcWeb(baseUrl, method, frame(bytes), adminToken), CALLER_CODES);
          judge(`Connect ${method.name} ${text}`, await rawConnect(baseUrl, method, text, adminToken), CALLER_CODES);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe("malformed frames and bodies", () => {
    const method = OrderService.method.getOrder;
    const valid = Buffer.from(toBinary(method.input, create(method.input, { orderId: "00000000-0000-0000-0000-000000000000" })));
    const cases: [string, Buffer][] = [
      ["a length prefix longer than the body", frame(valid, { length: valid.length + 100 })],
      ["a body shorter than a frame header", Buffer.from([0, 0, 0])],
      ["an empty body", Buffer.alloc(0)],
      ["two messages for a unary method", Buffer.concat([frame(valid), frame(valid)])],
      ["the compressed flag without an encoding", frame(valid, { flags: 1 })],
      ["a length prefix of 4 GiB", frame(valid, { length: 0xffffffff })],
      ["bytes that are not protobuf", frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))],
      ["a message over the size limit", frame(Buffer.alloc(300 * 1024, 0x0a))],
    ];
    // grpc-js reads a frame flagged compressed without a grpc-encoding as uncompressed, and answers it.
    const grpcCases = cases.filter(([what]) => what !== "the compressed flag without an encoding");
    it.each(grpcCases)("when gRPC gets %s, then INVALID_ARGUMENT or RESOURCE_EXHAUSTED", async (what, body) => {
      judge(`gRPC ${what}`, await rawGrpc(app.grpcPort, method, body, adminToken), MALFORMED_CODES);
    });
    it.each(cases)("when gRPC-Web gets %s, then INVALID_ARGUMENT or RESOURCE_EXHAUSTED", async (what, body) => {
      judge(`gRPC-Web ${what}`, await rawGrpcWeb(baseUrl, method, body, adminToken), MALFORMED_CODES);
    });

    const connectCases: [string, Buffer | string, string][] = [
      ["JSON that does not parse", "{\"orderId\": ", "application/json"],
      ["a JSON array", "[1,2,3]", "application/json"],
      ["an unknown field", '{"orderId":"x","dropTables":true}', "application/json"],
      ["a number where a string belongs", '{"orderId": 12}', "application/json"],
      ["protobuf bytes that do not parse", Buffer.from([0xff, 0xff, 0xff]), "application/proto"],
      ["a body over the size limit", JSON.stringify({ orderId: "x".repeat(300 * 1024) }), "application/json"],
    ];
    it.each(connectCases)("when Connect gets %s, then INVALID_ARGUMENT or RESOURCE_EXHAUSTED", async (what, body, contentType) => {
      judge(`Connect ${what}`, await rawConnect(baseUrl, method, body, adminToken, contentType), MALFORMED_CODES);
    });

    it("when a token is garbage, then UNAUTHENTICATED on every transport", async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300, unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) }), async (token) => {
          judge(`gRPC token ${token}`, await rawGrpc(app.grpcPort, method, frame(valid), token), new Set([Code.Unauthenticated]));
          judge(`gRPC-Web token ${token}`, await rawGrpcWeb(baseUrl, method, frame(valid), token), new Set([Code.Unauthenticated]));
          judge(`Connect token ${token}`, await rawConnect(baseUrl, method, valid, token, "application/proto"), new Set([Code.Unauthenticated]));
        }),
        { numRuns: RUNS * 4 },
      );
    });
  });

  it("after all of it, the service still answers and its memory is bounded", async () => {
    const { orders } = await app.connect(OrderService).listOrders({ pageSize: 1 });
    expect(orders).toBeDefined();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  });
});

function jsonSafe(_key: string, value: unknown) {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (typeof value === "string" && value.length > 100) return `${value.slice(0, 100)}… (${value.length})`;
  return value;
}

