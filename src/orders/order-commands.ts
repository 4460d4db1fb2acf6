import type { PayOrderRequest } from "../../gen/shop/order/v1/order_pb.js";
import { parsePaymentMethod, type PaymentMethod } from "../payments/payment-method.js";
import { REQUEST_ID, Violations } from "../platform/validation.js";
import { REASON } from "./change-status.js";
import { orderIdField } from "./order-id.js";
import type { MutationTarget } from "./order-mutation.js";

export interface ReasonCommand extends MutationTarget {
  readonly requestId: string;
  readonly reason: string;
}

/** Cancel, refund and delete take the same four fields. */
export function parseReasonCommand(
  request: { requestId: string; orderId: string; expectedVersion?: bigint; reason: string },
  options: { reasonRequired: boolean },
): ReasonCommand {
  const v = new Violations();
  const command = {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    orderId: orderIdField(v, request.orderId),
    expectedVersion: request.expectedVersion,
    reason: v.text("reason", request.reason, { ...REASON, min: options.reasonRequired ? 1 : 0 }),
  };
  v.throwIfAny();
  return command;
}

export interface PayCommand extends MutationTarget {
  readonly requestId: string;
  /** Absent: pay with the method given at placement. */
  readonly method?: PaymentMethod;
}

export function parsePay(request: PayOrderRequest): PayCommand {
  const v = new Violations();
  const command = {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    orderId: orderIdField(v, request.orderId),
    expectedVersion: request.expectedVersion,
    method: request.paymentMethod ? parsePaymentMethod(request.paymentMethod, "payment_method", v) : undefined,
  };
  v.throwIfAny();
  return command;
}

export interface RetryEventsCommand {
  readonly requestId: string;
  readonly orderId: string;
}

export function parseRetryEvents(request: { requestId: string; orderId: string }): RetryEventsCommand {
  const v = new Violations();
  const command = { requestId: v.text("request_id", request.requestId, REQUEST_ID), orderId: orderIdField(v, request.orderId) };
  v.throwIfAny();
  return command;
}
