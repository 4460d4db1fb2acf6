import type { MessageInitShape } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import type { CreateOrderRequest, CreateOrderRequestSchema } from "../../gen/shop/order/v1/order_pb.js";

export type CreateOrderInit = Exclude<MessageInitShape<typeof CreateOrderRequestSchema>, CreateOrderRequest>;

/** A valid CreateOrder request against the reference catalog; override what a test is about. */
export function createOrderRequest(overrides: Partial<CreateOrderInit> = {}): CreateOrderInit {
  return {
    requestId: randomUUID(),
    userId: "user-1",
    customer: { email: "ann@example.com", firstName: "Ann", lastName: "Lee", phone: "+14155550123" },
    items: [
      { productId: "prod-mug", quantity: 2 },
      { productId: "prod-tee", quantity: 1 },
    ],
    shippingAddress: { line1: "1 Main St", city: "Springfield", state: "IL", postalCode: "62701", countryCode: "US" },
    paymentMethod: { method: { case: "card", value: { paymentToken: "tok_visa_4242", brand: "VISA", last4: "4242" } } },
    ...overrides,
  };
}
