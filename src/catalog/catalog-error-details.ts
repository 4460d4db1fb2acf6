import {
  InactiveProductsSchema,
  InsufficientStockSchema,
  PriceMismatchSchema,
  UnknownProductsSchema,
} from "../../gen/shop/order/v1/order_errors_pb.js";
import { toMoneyProto } from "../money/money-proto.js";
import { errorDetail, type DetailEncoder } from "../platform/errors/error-mapper.js";
import { InactiveProductsError, InsufficientStockError, PriceMismatchError, UnknownProductsError } from "./catalog-errors.js";

/** The catalog's refusals as the details of shop/order/v1/order_errors.proto. */
export const catalogErrorDetails: DetailEncoder = (error) => {
  if (error instanceof UnknownProductsError) return [errorDetail(UnknownProductsSchema, { productIds: [...error.productIds] })];
  if (error instanceof InactiveProductsError) return [errorDetail(InactiveProductsSchema, { productIds: [...error.productIds] })];
  if (error instanceof InsufficientStockError) {
    return [errorDetail(InsufficientStockSchema, { shortages: error.shortages.map((s) => ({ ...s, variantId: s.variantId ?? "" })) })];
  }
  if (error instanceof PriceMismatchError) {
    const lines = error.differences.map((d) => ({
      productId: d.productId,
      variantId: d.variantId ?? "",
      expected: toMoneyProto(d.expected),
      actual: toMoneyProto(d.actual),
    }));
    return [errorDetail(PriceMismatchSchema, { lines })];
  }
  return [];
};
