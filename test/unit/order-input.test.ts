import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CheckoutRequestSchema,
  AddItemRequestSchema,
  UpdateItemQuantityRequestSchema,
  RemoveItemRequestSchema,
  ClearCartRequestSchema,
} from "../../gen/shop/cart/v1/cart_pb.js";
import { CancelOrderRequestSchema, CreateOrderRequestSchema, PayOrderRequestSchema } from "../../gen/shop/order/v1/order_pb.js";
import { parseCheckout, parseClear, parseLine, parseUserId } from "../../src/cart/rpc/cart-requests.js";
import { parsePay, parseReasonCommand } from "../../src/orders/rpc/requests/change-requests.js";
import { parsePlaceOrder } from "../../src/orders/rpc/requests/place-order-request.js";
import { MAX_ITEMS, MAX_QUANTITY } from "../../src/orders/domain/order.js";
import { createOrderRequest, type CreateOrderInit } from "../support/fixtures.js";
import { violationsOf } from "./violations.js";

const ORDER_ID = "0b9d2c53-4d5e-4f8a-9b1c-2d3e4f5a6b7c";
const place = (overrides: Partial<CreateOrderInit>) => () =>
  parsePlaceOrder(create(CreateOrderRequestSchema, createOrderRequest(overrides) as never), "USD");
const { customer, shippingAddress } = createOrderRequest();

describe("CreateOrder input", () => {
  it("when every field is good, then the command carries them, the email lower-cased and text trimmed", () => {
    const command = place({
      requestId: " r-1 ",
      userId: "ann@example.com",
      customer: { ...customer, email: "Ann@Example.COM" },
      notes: " ring twice ",
    })();
    expect(command).toMatchObject({
      requestId: "r-1",
      userId: "ann@example.com",
      customer: { email: "ann@example.com", firstName: "Ann", lastName: "Lee", phone: "+14155550123" },
      items: [
        { productId: "prod-mug", quantity: 2, expectedUnitPrice: undefined },
        { productId: "prod-tee", quantity: 1, expectedUnitPrice: undefined },
      ],
      shippingAddress: { line1: "1 Main St", line2: "", city: "Springfield", state: "IL", postalCode: "62701", countryCode: "US" },
      payment: { type: "CARD", display: "VISA •••• 4242" },
      notes: "ring twice",
      currency: "USD",
    });
  });

  it("when a line states the price the client saw, then it is kept as money in the shop's currency", () => {
    const command = place({
      items: [{ productId: "prod-mug", quantity: 1, expectedUnitPrice: { currencyCode: "USD", amountMinor: 1250n } }],
    })();
    expect(command.items[0]!.expectedUnitPrice).toEqual({ currency: "USD", amountMinor: 1250n });
  });

  it.each<[string, Partial<CreateOrderInit>, string[]]>([
    ["another currency", { currencyCode: "EUR" }, ["currency_code: only USD is sold"]],
    ["no request id", { requestId: "" }, ["request_id: is required"]],
    ["a user id with a space", { userId: "ann lee" }, ["user_id: must be 1-128 letters, digits, or . _ : @ -"]],
    [
      "no customer",
      { customer: undefined },
      ["customer: is required", "customer.email: is required", "customer.first_name: is required", "customer.last_name: is required"],
    ],
    ["an email without @", { customer: { ...customer, email: "ann.example.com" } }, ["customer.email: must be an email address"]],
    ["an email with a space", { customer: { ...customer, email: "a nn@example.com" } }, ["customer.email: must be an email address"]],
    ["an email without a dot after @", { customer: { ...customer, email: "ann@example" } }, ["customer.email: must be an email address"]],
    ["an email with two @", { customer: { ...customer, email: "ann@ex@ample.com" } }, ["customer.email: must be an email address"]],
    [
      "an email ending in a space-separated word",
      { customer: { ...customer, email: "ann@example.com x" } },
      ["customer.email: must be an email address"],
    ],
    [
      "an email of 321 characters",
      { customer: { ...customer, email: `${"a".repeat(309)}@example.com` } },
      ["customer.email: must be at most 320 characters"],
    ],
    [
      "a first name of 101 characters",
      { customer: { ...customer, firstName: "a".repeat(101) } },
      ["customer.first_name: must be at most 100 characters"],
    ],
    [
      "a last name of 101 characters",
      { customer: { ...customer, lastName: "a".repeat(101) } },
      ["customer.last_name: must be at most 100 characters"],
    ],
    ["a phone without +", { customer: { ...customer, phone: "14155550123" } }, ['customer.phone: must be E.164, e.g. "+14155550123"']],
    ["a phone starting +0", { customer: { ...customer, phone: "+04155550123" } }, ['customer.phone: must be E.164, e.g. "+14155550123"']],
    ["a phone of 6 digits", { customer: { ...customer, phone: "+141555" } }, ['customer.phone: must be E.164, e.g. "+14155550123"']],
    [
      "a phone with something before the +",
      { customer: { ...customer, phone: "x+14155550123" } },
      ['customer.phone: must be E.164, e.g. "+14155550123"'],
    ],
    ["a phone with a letter", { customer: { ...customer, phone: "+1415555012a" } }, ['customer.phone: must be E.164, e.g. "+14155550123"']],
    [
      "a phone of 17 characters",
      { customer: { ...customer, phone: "+1415555012345678" } },
      ["customer.phone: must be at most 16 characters"],
    ],
    [
      "no address",
      { shippingAddress: undefined },
      [
        "shipping_address: is required",
        "shipping_address.country_code: is required",
        "shipping_address.line1: is required",
        "shipping_address.city: is required",
        "shipping_address.postal_code: is required",
      ],
    ],
    [
      "a lower-case country",
      { shippingAddress: { ...shippingAddress, countryCode: "us" } },
      ['shipping_address.country_code: must be an ISO 3166-1 alpha-2 code, e.g. "US"'],
    ],
    [
      "a three-letter country",
      { shippingAddress: { ...shippingAddress, countryCode: "USA" } },
      ["shipping_address.country_code: must be at most 2 characters"],
    ],
    [
      "a one-letter country",
      { shippingAddress: { ...shippingAddress, countryCode: "U" } },
      ['shipping_address.country_code: must be an ISO 3166-1 alpha-2 code, e.g. "US"'],
    ],
    [
      "a country that is not one",
      { shippingAddress: { ...shippingAddress, countryCode: "QQ" } },
      ['shipping_address.country_code: "QQ" is not a country code'],
    ],
    [
      "a line1 of 201 characters",
      { shippingAddress: { ...shippingAddress, line1: "a".repeat(201) } },
      ["shipping_address.line1: must be at most 200 characters"],
    ],
    [
      "a line2 of 201 characters",
      { shippingAddress: { ...shippingAddress, line2: "a".repeat(201) } },
      ["shipping_address.line2: must be at most 200 characters"],
    ],
    [
      "a city of 101 characters",
      { shippingAddress: { ...shippingAddress, city: "a".repeat(101) } },
      ["shipping_address.city: must be at most 100 characters"],
    ],
    [
      "a state of 101 characters",
      { shippingAddress: { ...shippingAddress, state: "a".repeat(101) } },
      ["shipping_address.state: must be at most 100 characters"],
    ],
    [
      "a postal code starting with a dash",
      { shippingAddress: { ...shippingAddress, postalCode: "-62701" } },
      ["shipping_address.postal_code: must be letters, digits, spaces or dashes"],
    ],
    [
      "a postal code with a dot",
      { shippingAddress: { ...shippingAddress, postalCode: "627.01" } },
      ["shipping_address.postal_code: must be letters, digits, spaces or dashes"],
    ],
    [
      "a postal code of 13 characters",
      { shippingAddress: { ...shippingAddress, postalCode: "1234567890123" } },
      ["shipping_address.postal_code: must be at most 12 characters"],
    ],
    ["no items", { items: [] }, ["items: must have at least one item"]],
    [
      "51 items",
      { items: Array.from({ length: MAX_ITEMS + 1 }, (_, i) => ({ productId: `p-${i}`, quantity: 1 })) },
      ["items: must hold at most 50 items; got 51"],
    ],
    ["quantity 0", { items: [{ productId: "prod-mug", quantity: 0 }] }, ["items[0].quantity: must be between 1 and 999"]],
    ["quantity 1000", { items: [{ productId: "prod-mug", quantity: MAX_QUANTITY + 1 }] }, ["items[0].quantity: must be between 1 and 999"]],
    ["no product id", { items: [{ productId: "", quantity: 1 }] }, ["items[0].product_id: is required"]],
    [
      "the same product twice",
      {
        items: [
          { productId: "prod-mug", quantity: 1 },
          { productId: "prod-mug", quantity: 2 },
        ],
      },
      ['items[1].product_id: "prod-mug" appears twice; send one line with the total quantity'],
    ],
    [
      "a price in another currency",
      { items: [{ productId: "prod-mug", quantity: 1, expectedUnitPrice: { currencyCode: "EUR", amountMinor: 1n } }] },
      ["items[0].expected_unit_price.currency_code: must be USD"],
    ],
    [
      "a negative price",
      { items: [{ productId: "prod-mug", quantity: 1, expectedUnitPrice: { currencyCode: "USD", amountMinor: -1n } }] },
      ["items[0].expected_unit_price.amount_minor: must not be negative"],
    ],
    [
      "no payment method",
      { paymentMethod: undefined },
      ["payment_method: is required: one of card, upi, net_banking, cash_on_delivery, wallet"],
    ],
    ["notes of 1001 characters", { notes: "a".repeat(1001) }, ["notes: must be at most 1000 characters"]],
  ])("when the request has %s, then exactly that is refused", (_, overrides, problems) => {
    expect(violationsOf(place(overrides))).toEqual(problems);
  });

  it.each<[string, Partial<CreateOrderInit>]>([
    ["50 items", { items: Array.from({ length: MAX_ITEMS }, (_, i) => ({ productId: `p-${i}`, quantity: 1 })) }],
    ["quantity 999", { items: [{ productId: "prod-mug", quantity: MAX_QUANTITY }] }],
    [
      "a free item the client expected free",
      { items: [{ productId: "prod-mug", quantity: 1, expectedUnitPrice: { currencyCode: "USD", amountMinor: 0n } }] },
    ],
    ["the shop's currency named", { currencyCode: "USD" }],
    ["no phone", { customer: { ...customer, phone: "" } }],
    ["a 15-digit phone", { customer: { ...customer, phone: "+123456789012345" } }],
    ["a postal code with a space and a dash", { shippingAddress: { ...shippingAddress, postalCode: "SW1A 1AA-2" } }],
    ["an email of 320 characters", { customer: { ...customer, email: `${"a".repeat(308)}@example.com` } }],
  ])("when the request has %s, then it is accepted", (_, overrides) => {
    expect(violationsOf(place(overrides))).toEqual([]);
  });
});

describe("cart input", () => {
  const limits = { maxLines: 50, maxQuantity: 99, ttlMs: 1, holdMs: 0, guestHoldMs: 0 };

  it("when an AddItem is good, then user, product, quantity and version are kept", () => {
    expect(
      parseLine(
        create(AddItemRequestSchema, { requestId: "r-1", userId: "u-1", productId: "prod-mug", quantity: 99, expectedVersion: 3n }),
        limits,
        1,
      ),
    ).toEqual({
      requestId: "r-1",
      userId: "u-1",
      productId: "prod-mug",
      variantId: "",
      quantity: 99,
      expectedVersion: 3n,
    });
  });

  it.each([
    [
      create(AddItemRequestSchema, { requestId: "r-1", userId: "u-1", productId: "prod-mug", quantity: 0 }),
      1,
      ["quantity: must be between 1 and 99"],
    ],
    [
      create(AddItemRequestSchema, { requestId: "r-1", userId: "u-1", productId: "prod-mug", quantity: 100 }),
      1,
      ["quantity: must be between 1 and 99"],
    ],
    [
      create(UpdateItemQuantityRequestSchema, { requestId: "r-1", userId: "u-1", productId: "prod-mug", quantity: -1 }),
      0,
      ["quantity: must be between 0 and 99"],
    ],
    [
      create(AddItemRequestSchema, { userId: "u 1", productId: "", quantity: 1 }),
      1,
      ["request_id: is required", "user_id: must be 1-128 letters, digits, or . _ : @ -", "product_id: is required"],
    ],
  ])("when a line edit is %j, then it is refused", (request, min, problems) => {
    expect(violationsOf(() => parseLine(request, limits, min))).toEqual(problems);
  });

  it("when quantity 0 is sent to UpdateItemQuantity or RemoveItem has none, then it stands (0 removes the line)", () => {
    expect(
      parseLine(create(UpdateItemQuantityRequestSchema, { requestId: "r-1", userId: "u-1", productId: "prod-mug", quantity: 0 }), limits, 0)
        .quantity,
    ).toBe(0);
    expect(parseLine(create(RemoveItemRequestSchema, { requestId: "r-2", userId: "u-1", productId: "prod-mug" }), limits, 0)).toEqual({
      requestId: "r-2",
      userId: "u-1",
      productId: "prod-mug",
      variantId: "",
      quantity: 0,
      expectedVersion: undefined,
    });
  });

  it("when a user id is checked alone or with a clear, then the user id rule applies", () => {
    expect(parseUserId("ann@example.com")).toBe("ann@example.com");
    expect(violationsOf(() => parseUserId(""))).toEqual(["user_id: is required"]);
    expect(parseClear(create(ClearCartRequestSchema, { requestId: "r-1", userId: "u-1", expectedVersion: 2n }))).toEqual({
      requestId: "r-1",
      userId: "u-1",
      expectedVersion: 2n,
    });
    expect(violationsOf(() => parseClear(create(ClearCartRequestSchema, { userId: "u 1" })))).toEqual([
      "request_id: is required",
      "user_id: must be 1-128 letters, digits, or . _ : @ -",
    ]);
  });

  it("when a checkout is good, then it carries the buyer; every bad field is reported at once", () => {
    const { customer: c, shippingAddress: a, paymentMethod } = createOrderRequest();
    const good = create(CheckoutRequestSchema, {
      requestId: "r-1",
      userId: "u-1",
      expectedVersion: 4n,
      customer: c,
      shippingAddress: a,
      paymentMethod,
      notes: " hi ",
    });
    expect(parseCheckout(good)).toMatchObject({
      requestId: "r-1",
      userId: "u-1",
      expectedVersion: 4n,
      customer: { email: "ann@example.com" },
      payment: { type: "CARD" },
      notes: "hi",
    });
    const bad = create(CheckoutRequestSchema, { requestId: "", userId: "u 1", notes: "a".repeat(1001) });
    expect(violationsOf(() => parseCheckout(bad))).toEqual([
      "request_id: is required",
      "user_id: must be 1-128 letters, digits, or . _ : @ -",
      "customer: is required",
      "customer.email: is required",
      "customer.first_name: is required",
      "customer.last_name: is required",
      "shipping_address: is required",
      "shipping_address.country_code: is required",
      "shipping_address.line1: is required",
      "shipping_address.city: is required",
      "shipping_address.postal_code: is required",
      "payment_method: is required: one of card, upi, net_banking, cash_on_delivery, wallet",
      "notes: must be at most 1000 characters",
    ]);
  });
});

describe("cancel, refund, delete and pay input", () => {
  it("when a reason is required and missing, or too long, then it is refused; optional reasons may be empty", () => {
    const request = (reason: string) =>
      create(CancelOrderRequestSchema, { requestId: "r-1", orderId: ORDER_ID.toUpperCase(), reason, expectedVersion: 2n });
    expect(parseReasonCommand(request("changed my mind"), { reasonRequired: true })).toEqual({
      requestId: "r-1",
      orderId: ORDER_ID,
      expectedVersion: 2n,
      reason: "changed my mind",
    });
    expect(violationsOf(() => parseReasonCommand(request(""), { reasonRequired: true }))).toEqual(["reason: is required"]);
    expect(parseReasonCommand(request(""), { reasonRequired: false }).reason).toBe("");
    expect(violationsOf(() => parseReasonCommand(request("a".repeat(501)), { reasonRequired: false }))).toEqual([
      "reason: must be at most 500 characters",
    ]);
    expect(
      violationsOf(() => parseReasonCommand(create(CancelOrderRequestSchema, { requestId: "", orderId: "x" }), { reasonRequired: false })),
    ).toEqual(["request_id: is required", "order_id: must be a UUID"]);
  });

  it("when PayOrder names no method, then the placement's is used; a bad one is refused", () => {
    expect(parsePay(create(PayOrderRequestSchema, { requestId: "r-1", orderId: ORDER_ID, expectedVersion: 1n }))).toEqual({
      requestId: "r-1",
      orderId: ORDER_ID,
      expectedVersion: 1n,
      method: undefined,
    });
    const cash = create(PayOrderRequestSchema, {
      requestId: "r-1",
      orderId: ORDER_ID,
      paymentMethod: { method: { case: "cashOnDelivery", value: {} } },
    });
    expect(parsePay(cash).method).toEqual({ type: "CASH_ON_DELIVERY", display: "Cash on delivery" });
    const badCard = create(PayOrderRequestSchema, {
      requestId: "",
      orderId: ORDER_ID,
      paymentMethod: { method: { case: "card", value: { paymentToken: "4242424242424242", brand: "VISA", last4: "4242" } } },
    });
    expect(violationsOf(() => parsePay(badCard))).toEqual([
      "request_id: is required",
      'payment_method.card.payment_token: must be a token from the payment provider\'s card tokenization, e.g. "tok_1N3T00LkdIwHu7ix"',
    ]);
  });
});
