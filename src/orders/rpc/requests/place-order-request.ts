import { lineKey } from "../../../catalog/sellable.js";
import type {
  CreateOrderRequest,
  Address as AddressProto,
  Customer as CustomerProto,
  OrderItemInput,
} from "../../../../gen/shop/order/v1/order_pb.js";
import { money } from "../../../money/money.js";
import { parsePaymentMethod } from "../../../payments/payment-method.js";
import { REQUEST_ID, RESOURCE_ID, USER_ID, Violations } from "../../../platform/validation.js";
import type { AddressData } from "../../domain/order-data.js";
import { MAX_ITEMS, MAX_QUANTITY } from "../../domain/order.js";
import type { CustomerData, PlaceOrderCommand } from "../../place-order.js";
import type { ItemRequest } from "../../price-items.js";
import { EMAIL, NOTES } from "./field-rules.js";

const regions = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });

export function parseCustomer(input: CustomerProto | undefined, v: Violations): CustomerData {
  if (!input) v.add("customer", "is required");
  return {
    email: v.text("customer.email", input?.email ?? "", EMAIL).toLowerCase(),
    firstName: v.text("customer.first_name", input?.firstName ?? "", { min: 1, max: 100 }),
    lastName: v.text("customer.last_name", input?.lastName ?? "", { min: 1, max: 100 }),
    phone: v.text("customer.phone", input?.phone ?? "", {
      max: 16,
      pattern: /^\+[1-9]\d{6,14}$/,
      hint: 'must be E.164, e.g. "+14155550123"',
    }),
  };
}

export function parseAddress(input: AddressProto | undefined, field: string, v: Violations): AddressData {
  if (!input) v.add(field, "is required");
  const countryCode = v.text(`${field}.country_code`, input?.countryCode ?? "", {
    min: 1,
    max: 2,
    pattern: /^[A-Z]{2}$/,
    hint: 'must be an ISO 3166-1 alpha-2 code, e.g. "US"',
  });
  if (/^[A-Z]{2}$/.test(countryCode)) {
    v.check(regions.of(countryCode) !== undefined, `${field}.country_code`, `"${countryCode}" is not a country code`);
  }
  return {
    line1: v.text(`${field}.line1`, input?.line1 ?? "", { min: 1, max: 200 }),
    line2: v.text(`${field}.line2`, input?.line2 ?? "", { max: 200 }),
    city: v.text(`${field}.city`, input?.city ?? "", { min: 1, max: 100 }),
    state: v.text(`${field}.state`, input?.state ?? "", { max: 100 }),
    postalCode: v.text(`${field}.postal_code`, input?.postalCode ?? "", {
      min: 1,
      max: 12,
      pattern: /^[A-Za-z0-9][A-Za-z0-9 -]*$/,
      hint: "must be letters, digits, spaces or dashes",
    }),
    countryCode,
  };
}

export function parseItem(item: OrderItemInput, field: string, currency: string, v: Violations): ItemRequest {
  const productId = v.text(`${field}.product_id`, item.productId, RESOURCE_ID);
  const variantId = item.variantId ? v.text(`${field}.variant_id`, item.variantId, RESOURCE_ID) : "";
  v.check(item.quantity >= 1 && item.quantity <= MAX_QUANTITY, `${field}.quantity`, `must be between 1 and ${MAX_QUANTITY}`);
  const price = item.expectedUnitPrice;
  if (price) {
    v.check(price.currencyCode === currency, `${field}.expected_unit_price.currency_code`, `must be ${currency}`);
    v.check(price.amountMinor >= 0n, `${field}.expected_unit_price.amount_minor`, "must not be negative");
  }
  return {
    productId,
    variantId,
    quantity: item.quantity,
    expectedUnitPrice: price ? money(price.currencyCode, price.amountMinor) : undefined,
  };
}

function parseItems(request: CreateOrderRequest, currency: string, v: Violations): ItemRequest[] {
  if (!v.check(request.items.length > 0, "items", "must have at least one item")) return [];
  if (!v.check(request.items.length <= MAX_ITEMS, "items", `must hold at most ${MAX_ITEMS} items; got ${request.items.length}`)) return [];
  const seen = new Set<string>();
  return request.items.map((input, i) => {
    const item = parseItem(input, `items[${i}]`, currency, v);
    const key = lineKey(item);
    v.check(!seen.has(key), `items[${i}].product_id`, `"${key}" appears twice; send one line with the total quantity`);
    seen.add(key);
    return item;
  });
}

/** Validates every field of CreateOrder at once; throws InvalidArgumentError listing all problems. */
export function parsePlaceOrder(request: CreateOrderRequest, shopCurrency: string): PlaceOrderCommand {
  const v = new Violations();
  const currency = request.currencyCode || shopCurrency;
  v.check(currency === shopCurrency, "currency_code", `only ${shopCurrency} is sold`);
  const command: PlaceOrderCommand = {
    requestId: v.text("request_id", request.requestId, REQUEST_ID),
    userId: v.text("user_id", request.userId, USER_ID),
    customer: parseCustomer(request.customer, v),
    items: parseItems(request, shopCurrency, v),
    shippingAddress: parseAddress(request.shippingAddress, "shipping_address", v),
    payment: parsePaymentMethod(request.paymentMethod, "payment_method", v)!,
    notes: v.text("notes", request.notes, NOTES),
    currency,
  };
  v.throwIfAny();
  return command;
}
