import type { MessageInitShape } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import type { CheckoutRequest, CheckoutRequestSchema } from "../../gen/shop/cart/v1/cart_pb.js";
import { createOrderRequest } from "./fixtures.js";

type CheckoutInit = Exclude<MessageInitShape<typeof CheckoutRequestSchema>, CheckoutRequest>;

/** A valid Checkout for `userId`; override what a test is about. */
export function checkoutRequest(userId: string, overrides: Partial<CheckoutInit> = {}): CheckoutInit {
  const { customer, shippingAddress, paymentMethod } = createOrderRequest();
  return { requestId: randomUUID(), userId, customer, shippingAddress, paymentMethod, ...overrides };
}
