import {
  MergeMode as MergeModeProto,
  type AddItemRequest,
  type CheckoutRequest,
  type ClearCartRequest,
  type CreateGuestCartRequest,
  type ListCartsRequest,
  type ReleaseCartHoldsRequest,
  type MergeCartRequest,
  type RemoveItemRequest,
  type UpdateItemQuantityRequest,
} from "../../../gen/shop/cart/v1/cart_pb.js";
import { EMAIL } from "../../orders/rpc/requests/field-rules.js";
import type { MergeMode } from "../domain/merge.js";
import { parsePaymentMethod, type PaymentMethod } from "../../payments/payment-method.js";
import { REQUEST_ID, RESOURCE_ID, USER_ID, Violations } from "../../platform/validation.js";
import { parseAddress, parseCustomer } from "../../orders/rpc/requests/place-order-request.js";
import type { CustomerData } from "../../orders/place-order.js";
import type { AddressData } from "../../orders/domain/order-data.js";
import type { CartLimits } from "../cart-deps.js";

export interface CartTarget {
  readonly userId: string;
  readonly expectedVersion?: bigint;
}

/** A change of the cart, idempotent by request id. */
export interface CartChange extends CartTarget {
  readonly requestId: string;
}

export interface LineCommand extends CartChange {
  readonly productId: string;
  readonly variantId: string;
  readonly quantity: number;
}

export interface CheckoutCommand extends CartTarget {
  readonly requestId: string;
  readonly customer: CustomerData;
  readonly shippingAddress: AddressData;
  readonly payment: PaymentMethod;
  readonly notes: string;
}

function finish<T>(v: Violations, value: T): T {
  v.throwIfAny();
  return value;
}

export function parseUserId(userId: string): string {
  const v = new Violations();
  return finish(v, v.text("user_id", userId, USER_ID));
}

export function parseClear(request: ClearCartRequest): CartChange {
  const v = new Violations();
  return finish(v, {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    userId: v.text("user_id", request.userId, USER_ID),
    expectedVersion: request.expectedVersion,
  });
}

/** `minQuantity` is 1 for AddItem and 0 for UpdateItemQuantity, where 0 removes the line. */
export function parseLine(
  request: AddItemRequest | UpdateItemQuantityRequest | RemoveItemRequest,
  limits: CartLimits,
  minQuantity: number,
): LineCommand {
  const v = new Violations();
  const quantity = "quantity" in request ? request.quantity : 0;
  if ("quantity" in request) {
    v.check(
      quantity >= minQuantity && quantity <= limits.maxQuantity,
      "quantity",
      `must be between ${minQuantity} and ${limits.maxQuantity}`,
    );
  }
  return finish(v, {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    userId: v.text("user_id", request.userId, USER_ID),
    productId: v.text("product_id", request.productId, RESOURCE_ID),
    variantId: request.variantId ? v.text("variant_id", request.variantId, RESOURCE_ID) : "",
    quantity,
    expectedVersion: request.expectedVersion,
  });
}

export function parseCheckout(request: CheckoutRequest): CheckoutCommand {
  const v = new Violations();
  return finish(v, {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    userId: v.text("user_id", request.userId, USER_ID),
    expectedVersion: request.expectedVersion,
    customer: parseCustomer(request.customer, v),
    shippingAddress: parseAddress(request.shippingAddress, "shipping_address", v),
    payment: parsePaymentMethod(request.paymentMethod, "payment_method", v)!,
    notes: v.text("notes", request.notes, { max: 1000 }),
  });
}

export function parseCreateGuestCart(request: CreateGuestCartRequest): { email: string } {
  const v = new Violations();
  return finish(v, { email: request.email ? v.text("email", request.email, EMAIL).toLowerCase() : "" });
}

const MODES: Record<MergeModeProto, MergeMode | undefined> = {
  [MergeModeProto.UNSPECIFIED]: "MERGE_MAX",
  [MergeModeProto.MERGE_MAX]: "MERGE_MAX",
  [MergeModeProto.SUM]: "SUM",
  [MergeModeProto.REPLACE_WITH_GUEST]: "REPLACE_WITH_GUEST",
  [MergeModeProto.KEEP_EXISTING]: "KEEP_EXISTING",
};

export interface MergeCommand {
  readonly requestId: string;
  readonly userId: string;
  readonly guestCartToken: string;
  readonly mode: MergeMode;
  readonly expectedVersion?: bigint;
}

/** A guest cart token is a JWT of a few hundred characters; anything far longer is not one. */
const TOKEN = { min: 1, max: 2048, pattern: /^[\w-]+\.[\w-]+\.[\w-]+$/, hint: "must be the guest cart token CreateGuestCart gave" };

export function parseMerge(request: MergeCartRequest): MergeCommand {
  const v = new Violations();
  const mode = MODES[request.mode];
  v.check(mode !== undefined, "mode", "must be MERGE_MAX, SUM, REPLACE_WITH_GUEST or KEEP_EXISTING");
  return finish(v, {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    userId: v.text("user_id", request.userId, USER_ID),
    guestCartToken: v.text("guest_cart_token", request.guestCartToken, TOKEN),
    mode: mode!,
    expectedVersion: request.expectedVersion,
  });
}

const MAX_CARTS_PAGE = 100;
const DEFAULT_CARTS_PAGE = 20;

export function parseListCarts(request: ListCartsRequest): { pageSize: number; pageToken: string; holdingOnly: boolean } {
  const v = new Violations();
  v.check(request.pageSize >= 0, "page_size", "must not be negative");
  return finish(v, {
    pageSize: Math.min(request.pageSize || DEFAULT_CARTS_PAGE, MAX_CARTS_PAGE),
    pageToken: v.text("page_token", request.pageToken, { max: 512 }),
    holdingOnly: request.holdingOnly,
  });
}

export function parseReleaseCartHolds(request: ReleaseCartHoldsRequest): { requestId: string; userId: string; reason: string } {
  const v = new Violations();
  return finish(v, {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    userId: v.text("user_id", request.userId, USER_ID),
    reason: v.text("reason", request.reason, { min: 1, max: 500 }),
  });
}
