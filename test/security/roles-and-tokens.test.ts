import { randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { OrderService, OrderStatus, type Order } from "../../gen/shop/order/v1/order_pb.js";
import { checkoutRequest } from "../support/cart-fixtures.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startProductTestServer } from "../support/catalog-test-server.js";
import { startTestApp, unary, type TestApp } from "../support/test-app.js";
import { token } from "../support/tokens.js";

const OWNER = "cust-a";
const OTHER = "cust-b";
const rid = () => randomUUID();

type Caller = "no token" | "bad token" | "other customer" | "owner" | "admin";
/** The answer a caller must get: a code (0 for OK), and for refusals a fragment of the message. */
type Expect = { code: Code | 0; says?: string };
type Call = (app: TestApp, bearer: string, order: Order) => Promise<unknown>;

const OK: Expect = { code: 0 };
const notFound = (what: string): Expect => ({ code: Code.NotFound, says: `${what} "` });
const staffOnly: Expect = { code: Code.PermissionDenied, says: "only staff (admin, service) may call" };
const staffOrSeller: Expect = { code: Code.PermissionDenied, says: "only sellers or staff (admin, service) may call" };
const precondition = (says: string): Expect => ({ code: Code.FailedPrecondition, says });

const orders = (app: TestApp, bearer: string) => app.connect(OrderService, bearer);
const carts = (app: TestApp, bearer: string) => app.connect(CartService, bearer);
const firstOf = async (stream: AsyncIterable<unknown>) => {
  for await (const _ of stream) break;
};
const outcomeOf = (promise: Promise<unknown>): Promise<{ code: Code | 0; message: string }> =>
  promise.then(
    () => ({ code: 0, message: "" }),
    (e) => ({ code: ConnectError.from(e).code, message: ConnectError.from(e).rawMessage }),
  );

/**
 * Each RPC and the exact answer of another customer, the owner and an admin, called in that
 * order on one fresh order of the owner's (with a mug in the owner's cart): another customer's
 * view of the owner's things is a missing one; staff RPCs are refused to customers; what the
 * owner and the admin get is the RPC's own answer, given what the callers before them did.
 */
const rpcs: [name: string, call: Call, forOther: Expect, forOwner: Expect, forAdmin: Expect][] = [
  [
    "CreateOrder",
    (app, b) => orders(app, b).createOrder(createOrderRequest({ userId: OWNER })),
    { code: Code.PermissionDenied, says: "customers place orders for themselves only" },
    OK,
    OK,
  ],
  ["GetOrder", (app, b, o) => orders(app, b).getOrder({ orderId: o.id }), notFound("order"), OK, OK],
  ["ListOrders", (app, b) => orders(app, b).listOrders({ userId: OWNER }), OK, OK, OK],
  ["GetOrderStatus", (app, b, o) => orders(app, b).getOrderStatus({ orderId: o.id }), notFound("order"), OK, OK],
  ["WatchOrder", (app, b, o) => firstOf(orders(app, b).watchOrder({ orderId: o.id })), notFound("order"), OK, OK],
  [
    "PayOrder",
    (app, b, o) => orders(app, b).payOrder({ requestId: rid(), orderId: o.id, paymentMethod: createOrderRequest().paymentMethod }),
    notFound("order"),
    OK,
    precondition("already"),
  ],
  [
    "CancelOrder",
    (app, b, o) => orders(app, b).cancelOrder({ requestId: rid(), orderId: o.id, reason: "test" }),
    notFound("order"),
    OK,
    precondition("from CANCELLED to CANCELLED"),
  ],
  ["UpdateOrder", (app, b, o) => orders(app, b).updateOrder({ requestId: rid(), orderId: o.id, notes: "x" }), staffOnly, staffOnly, OK],
  [
    "UpdateOrderStatus",
    (app, b, o) => orders(app, b).updateOrderStatus({ requestId: rid(), orderId: o.id, status: OrderStatus.CONFIRMED }),
    staffOnly,
    staffOnly,
    OK,
  ],
  [
    "RefundOrder",
    (app, b, o) => orders(app, b).refundOrder({ requestId: rid(), orderId: o.id, reason: "x" }),
    staffOnly,
    staffOnly,
    precondition("from PENDING to REFUNDED"),
  ],
  [
    "DeleteOrder",
    (app, b, o) => orders(app, b).deleteOrder({ requestId: rid(), orderId: o.id }),
    staffOnly,
    staffOnly,
    precondition("PENDING"),
  ],
  [
    "UpdateOrderItemStatus",
    (app, b, o) => orders(app, b).updateOrderItemStatus({ requestId: rid(), orderId: o.id, itemId: o.items[0]!.id, status: 4 }),
    staffOrSeller,
    staffOrSeller,
    precondition("PENDING"),
  ],
  ["ListOrderEvents", (app, b, o) => orders(app, b).listOrderEvents({ orderId: o.id }), staffOnly, staffOnly, OK],
  [
    "AddOrderItem",
    (app, b, o) => orders(app, b).addOrderItem({ requestId: rid(), orderId: o.id, item: { productId: "prod-cap", quantity: 1 } }),
    staffOnly,
    staffOnly,
    OK,
  ],
  [
    "UpdateOrderItemQuantity",
    (app, b, o) => orders(app, b).updateOrderItemQuantity({ requestId: rid(), orderId: o.id, itemId: o.items[0]!.id, quantity: 2 }),
    staffOnly,
    staffOnly,
    OK,
  ],
  [
    "RemoveOrderItem",
    (app, b, o) => orders(app, b).removeOrderItem({ requestId: rid(), orderId: o.id, itemId: o.items[0]!.id }),
    staffOnly,
    staffOnly,
    OK,
  ],
  ["GetCart", (app, b) => carts(app, b).getCart({ userId: OWNER }), notFound("cart"), OK, OK],
  [
    "AddItem",
    (app, b) => carts(app, b).addItem({ requestId: randomUUID(), userId: OWNER, productId: "prod-mug", quantity: 1 }),
    notFound("cart"),
    OK,
    OK,
  ],
  [
    "UpdateItemQuantity",
    (app, b) => carts(app, b).updateItemQuantity({ requestId: randomUUID(), userId: OWNER, productId: "prod-mug", quantity: 2 }),
    notFound("cart"),
    OK,
    OK,
  ],
  [
    "RemoveItem",
    async (app, b) => {
      await app.connect(CartService).addItem({ requestId: randomUUID(), userId: OWNER, productId: "prod-mug", quantity: 1 });
      return carts(app, b).removeItem({ requestId: randomUUID(), userId: OWNER, productId: "prod-mug" });
    },
    notFound("cart"),
    OK,
    OK,
  ],
  ["ClearCart", (app, b) => carts(app, b).clearCart({ requestId: randomUUID(), userId: OWNER }), notFound("cart"), OK, OK],
  ["Checkout", (app, b) => carts(app, b).checkout(checkoutRequest(OWNER)), notFound("cart"), OK, precondition("the cart is empty")],
];

describe("who may call what", () => {
  let app: TestApp;
  const bearers = {} as Record<Caller, string>;
  beforeAll(async () => {
    app = await startTestApp();
    Object.assign(bearers, {
      "no token": "",
      "bad token": await token(OWNER, ["admin"], { secret: "not-the-service-secret-0123456789abcdef" }),
      "other customer": await token(OTHER),
      owner: await token(OWNER),
      admin: await token("ops-9", ["admin"]),
    });
  });
  afterAll(() => app?.stop());

  it.each(rpcs)(
    "%s: no token and bad token are UNAUTHENTICATED, and another customer, the owner and an admin get exactly the answer the table gives",
    async (_, call, forOther, forOwner, forAdmin) => {
      const order = (await orders(app, bearers.admin).createOrder(createOrderRequest({ userId: OWNER }))).order!;
      await carts(app, bearers.admin).addItem({ requestId: randomUUID(), userId: OWNER, productId: "prod-mug", quantity: 1 });
      const expected: Record<Caller, Expect> = {
        "no token": { code: Code.Unauthenticated, says: "bearer token is required" },
        "bad token": { code: Code.Unauthenticated, says: "signature does not verify" },
        "other customer": forOther,
        owner: forOwner,
        admin: forAdmin,
      };
      for (const caller of Object.keys(expected) as Caller[]) {
        const { code, message } = await outcomeOf(call(app, bearers[caller], order));
        expect(Code[code] ?? "OK", `${caller}: "${message}"`).toBe(Code[expected[caller].code] ?? "OK");
        if (expected[caller].says) expect(message, caller).toContain(expected[caller].says);
      }
    },
  );

  it("when another customer lists the owner's orders, then none come back; the owner sees only theirs", async () => {
    await orders(app, bearers.admin).createOrder(createOrderRequest({ userId: OWNER }));
    await orders(app, bearers.admin).createOrder(createOrderRequest({ userId: "cust-c" }));
    expect((await orders(app, bearers["other customer"]).listOrders({ userId: OWNER })).orders).toEqual([]);
    const own = (await orders(app, bearers.owner).listOrders({})).orders;
    expect(own.length).toBeGreaterThan(0);
    expect(new Set(own.map((o) => o.userId))).toEqual(new Set([OWNER]));
  });

  it("when a customer places an order without a user id, then it is theirs and the history names them", async () => {
    const placed = (await orders(app, bearers.owner).createOrder(createOrderRequest({ userId: "" }))).order!;
    expect(placed.userId).toBe(OWNER);
    const cancelled = await orders(app, bearers.owner).cancelOrder({ requestId: rid(), orderId: placed.id, reason: "mine" });
    expect(cancelled.order?.status).toBe(OrderStatus.CANCELLED);
    const history = (await orders(app, bearers.owner).getOrderStatus({ orderId: placed.id })).history;
    expect(history.at(-1)?.actor).toBe(OWNER);
  });
});

describe("tokens that are refused", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  const unsigned = () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    return `${part({ alg: "none", typ: "JWT" })}.${part({ sub: OWNER, roles: ["admin"], iss: "order-service", aud: "order-service", exp: Math.floor(Date.now() / 1000) + 600 })}.`;
  };

  it.each([
    ["expired", () => token(OWNER, ["customer"], { expiresIn: Math.floor(Date.now() / 1000) - 60 }), "expired"],
    ["unsigned (alg none)", async () => unsigned(), ""],
    ["signed with another key", () => token(OWNER, ["customer"], { secret: "another-secret-another-secret-0123456" }), "signature"],
    ["from another issuer", () => token(OWNER, ["customer"], { issuer: "evil" }), "iss"],
    ["for another audience", () => token(OWNER, ["customer"], { audience: "billing" }), "aud"],
    ["malformed", async () => "not.a.jwt!", ""],
  ])("when the token is %s, then UNAUTHENTICATED over Connect and gRPC", async (_, make, words) => {
    const bearer = await make();
    const error = await app
      .connect(OrderService, bearer)
      .listOrders({})
      .catch((e) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.Unauthenticated);
    expect((error as ConnectError).rawMessage).toContain(words);
    const grpcError = await unary(app.grpcClient(OrderService, bearer), "listOrders", {}).catch((e: grpc.ServiceError) => e);
    expect((grpcError as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it("when the header is not a bearer token, then UNAUTHENTICATED says how it should look", async () => {
    const client = app.connect(OrderService, "");
    const error = await client.listOrders({}, { headers: { authorization: "Basic dXNlcjpwYXNz" } }).catch((e) => ConnectError.from(e));
    expect((error as ConnectError).rawMessage).toContain("Bearer <JWT>");
  });

  it("when health and reflection are asked over gRPC without a token, and /readyz over HTTP, then they answer", async () => {
    const { Health } = await import("../../gen/health/v1/health_pb.js");
    const health = await unary<{ status: number }>(app.grpcClient(Health, ""), "check", { service: "shop.order.v1.OrderService" });
    expect(health.status).toBe(1);
    const { ServerReflection } = await import("../../gen/grpc/reflection/v1/reflection_pb.js");
    const call = app.grpcClient(ServerReflection, "").serverReflectionInfo!() as grpc.ClientDuplexStream<
      unknown,
      { messageResponse: { case: string } }
    >;
    const answer = new Promise<string>((resolve, reject) => {
      call.once("data", (message: { messageResponse: { case: string } }) => resolve(message.messageResponse.case));
      call.once("error", reject);
    });
    call.write({ messageRequest: { case: "listServices", value: "" } });
    expect(await answer).toBe("listServicesResponse");
    call.end();
    expect((await fetch(`http://127.0.0.1:${app.httpPort}/readyz`)).status).toBe(200);
  });
});

describe("trusted gateway mode", () => {
  it("when AUTH_MODE is gateway, then x-user-id and x-user-roles identify the caller, and no x-user-id is UNAUTHENTICATED", async () => {
    const app = await startTestApp({ AUTH_MODE: "gateway" });
    try {
      const client = app.connect(OrderService, "");
      const placed = await client.createOrder(createOrderRequest({ userId: "" }), {
        headers: { "x-user-id": "gw-user", "x-user-roles": "customer" },
      });
      expect(placed.order?.userId).toBe("gw-user");
      const error = await client.listOrders({}).catch((e) => ConnectError.from(e));
      expect((error as ConnectError).code).toBe(Code.Unauthenticated);
    } finally {
      await app.stop();
    }
  });
});

describe("keys from a JWKS URL", () => {
  it("when tokens are signed by an identity provider's ES256 key, then its JWKS verifies them and other keys are refused", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "idp-1", alg: "ES256", use: "sig" };
    const jwks = http.createServer((_, response) =>
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    const app = await startTestApp({ JWT_SECRET: "", JWT_JWKS_URL: url, JWT_ISSUER: "https://idp.example.com" });
    try {
      const sign = (key: Parameters<SignJWT["sign"]>[0]) =>
        new SignJWT({ roles: ["customer"] })
          .setProtectedHeader({ alg: "ES256", kid: "idp-1" })
          .setSubject("idp-user")
          .setIssuer("https://idp.example.com")
          .setAudience("order-service")
          .setExpirationTime("5m")
          .sign(key);
      const good = await app.connect(OrderService, await sign(privateKey)).listOrders({});
      expect(good.orders).toEqual([]);
      const stranger = (await generateKeyPair("ES256")).privateKey;
      const error = await app
        .connect(OrderService, await sign(stranger))
        .listOrders({})
        .catch((e) => ConnectError.from(e));
      expect((error as ConnectError).code).toBe(Code.Unauthenticated);
      const hs = await app
        .connect(OrderService, await token("idp-user"))
        .listOrders({})
        .catch((e) => ConnectError.from(e));
      expect((hs as ConnectError).code).toBe(Code.Unauthenticated);
    } finally {
      await app.stop();
      jwks.close();
    }
  });
});

describe("limits", () => {
  it("when a page of 500 or an order of 51 lines is asked for, then the page holds 100 and the order is INVALID_ARGUMENT", async () => {
    const app = await startTestApp();
    try {
      const client = app.connect(OrderService);
      await Promise.all(
        Array.from({ length: 101 }, () => client.createOrder(createOrderRequest({ items: [{ productId: "prod-socks", quantity: 1 }] }))),
      );
      const page = await client.listOrders({ pageSize: 500 });
      expect(page.orders).toHaveLength(100);
      expect(page.nextPageToken).not.toBe("");
      const items = Array.from({ length: 51 }, (_, i) => ({ productId: `prod-${i}`, quantity: 1 }));
      const error = await client.createOrder(createOrderRequest({ items })).catch((e) => ConnectError.from(e));
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      expect((error as ConnectError).rawMessage).toContain("items: must hold at most 50 items; got 51");
    } finally {
      await app.stop();
    }
  });

  it("when a caller sends more than RATE_LIMIT_PER_SECOND, then RESOURCE_EXHAUSTED with RetryInfo, and others are not affected", async () => {
    const app = await startTestApp({ RATE_LIMIT_PER_SECOND: "3" });
    try {
      const busy = app.connect(OrderService, await token("busy-user"));
      const codes = await Promise.all(
        Array.from({ length: 6 }, () =>
          busy.listOrders({}).then(
            () => Code[0],
            (e) => ConnectError.from(e),
          ),
        ),
      );
      const limited = codes.filter((c): c is ConnectError => c instanceof ConnectError);
      expect(limited.length).toBeGreaterThanOrEqual(3);
      expect(limited[0]?.code).toBe(Code.ResourceExhausted);
      expect(limited[0]?.findDetails(ErrorInfoSchema)[0]?.reason).toBe("RATE_LIMITED");
      expect(limited[0]?.findDetails(RetryInfoSchema)[0]?.retryDelay).toBeDefined();
      expect((await app.connect(OrderService, await token("calm-user")).listOrders({})).orders).toEqual([]);
    } finally {
      await app.stop();
    }
  });

  it("when a client asks for a deadline above RPC_MAX_TIMEOUT_MS, then the maximum applies", async () => {
    const products = await startProductTestServer({ kind: "hang" });
    const app = await startTestApp({
      PRODUCT_SERVICE_URL: products.url,
      RPC_MAX_TIMEOUT_MS: "300",
      DEPENDENCY_TIMEOUT_MS: "10000",
      DEPENDENCY_RETRIES: "0",
    });
    try {
      const started = Date.now();
      const error = await app
        .connect(OrderService)
        .createOrder(createOrderRequest(), { timeoutMs: 30_000 })
        .catch((e) => ConnectError.from(e));
      expect((error as ConnectError).code).toBe(Code.DeadlineExceeded);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await app.stop();
      products.stop();
    }
  });
});

describe("what the logs never hold", () => {
  it("when orders are placed, paid and refused at debug level, then no bearer token, payment token or street address appears in the logs", async () => {
    const lines: string[] = [];
    const app = await startTestApp({}, { logLines: lines });
    try {
      const bearer = await token(OWNER);
      const client = app.connect(OrderService, bearer);
      const request = createOrderRequest({
        userId: "",
        shippingAddress: { line1: "742 Evergreen Terrace", city: "Springfield", postalCode: "62701", countryCode: "US" },
      });
      const order = (await client.createOrder(request)).order!;
      await client
        .payOrder({
          requestId: rid(),
          orderId: order.id,
          paymentMethod: { method: { case: "card", value: { paymentToken: "tok_decline", brand: "VISA", last4: "0002" } } },
        })
        .catch(() => undefined);
      await client.createOrder(createOrderRequest({ userId: "", customer: { email: "bad" } })).catch(() => undefined);
      await app
        .connect(OrderService, "garbage.token.here")
        .listOrders({})
        .catch(() => undefined);
    } finally {
      await app.stop();
    }
    const text = lines.join("");
    expect(lines.length).toBeGreaterThan(5);
    for (const secret of ["tok_visa_4242", "tok_decline", "742 Evergreen", "garbage.token.here", "Bearer "]) {
      expect(text, secret).not.toContain(secret);
    }
  });
});
