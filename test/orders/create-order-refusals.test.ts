import { Code, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema, PreconditionFailureSchema } from "../../gen/google/rpc/error_details_pb.js";
import { InactiveProductsSchema, PriceMismatchSchema, UnknownProductsSchema } from "../../gen/shop/order/v1/order_errors_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import { query } from "../support/db.js";
import { createOrderRequest } from "../support/fixtures.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { failure } from "../support/errors.js";

const usd = (amountMinor: bigint) => ({ currencyCode: "USD", amountMinor });

describe("CreateOrder against the reference catalog: what the catalog says no to", () => {
  let app: TestApp;
  let orders: Client<typeof OrderService>;
  beforeAll(async () => {
    app = await startTestApp();
    orders = app.connect(OrderService);
  });
  afterAll(() => app?.stop());

  it("when text fields hold a NUL character (which PostgreSQL cannot store), then INVALID_ARGUMENT names each field, not UNAVAILABLE", async () => {
    const error = await failure(
      orders.createOrder(
        createOrderRequest({ notes: "a\u0000b", customer: { email: "ann@example.com", firstName: "A\u0000", lastName: "Lee" } }),
      ),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("customer.first_name: must not contain NUL characters; notes: must not contain NUL characters");
  });

  it("when products do not exist, then INVALID_ARGUMENT lists every unknown id", async () => {
    const error = await failure(
      orders.createOrder(
        createOrderRequest({
          items: [
            { productId: "prod-x", quantity: 1 },
            { productId: "prod-mug", quantity: 1 },
            { productId: "prod-y", quantity: 1 },
          ],
        }),
      ),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(UnknownProductsSchema)[0]?.productIds).toEqual(["prod-x", "prod-y"]);
  });

  it("when a product is off sale, then FAILED_PRECONDITION names it", async () => {
    const error = await failure(orders.createOrder(createOrderRequest({ items: [{ productId: "prod-retired", quantity: 1 }] })));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("PRODUCTS_INACTIVE");
    expect(error.findDetails(InactiveProductsSchema)[0]?.productIds).toEqual(["prod-retired"]);
  });

  it("when the client saw other prices, then FAILED_PRECONDITION gives expected and actual for each line, and nothing is reserved", async () => {
    const error = await failure(
      orders.createOrder(
        createOrderRequest({
          items: [
            { productId: "prod-mug", quantity: 1, expectedUnitPrice: usd(1000n) },
            { productId: "prod-tee", quantity: 1, expectedUnitPrice: usd(2400n) },
            { productId: "prod-cap", quantity: 1, expectedUnitPrice: usd(1999n) },
          ],
        }),
      ),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(
      error.findDetails(PriceMismatchSchema)[0]?.lines.map((l) => [l.productId, l.expected?.amountMinor, l.actual?.amountMinor]),
    ).toEqual([
      ["prod-mug", 1000n, 1250n],
      ["prod-cap", 1999n, 1899n],
    ]);
    expect(error.findDetails(PreconditionFailureSchema)[0]?.violations).toHaveLength(2);
    expect(await query(app.databaseUrl, `select id from catalog_reservations`)).toEqual([]);
  });

  it("when the expected prices match, then the order is priced from the catalog with tax and shipping", async () => {
    const created = await orders.createOrder(
      createOrderRequest({ items: [{ productId: "prod-backpack", quantity: 1, expectedUnitPrice: usd(8900n) }] }),
    );
    expect(created.order).toMatchObject({ subtotal: usd(8900n), tax: usd(712n), shipping: usd(0n), total: usd(9612n) });
  });
});
