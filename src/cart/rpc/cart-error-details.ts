import { CartAdjustments_Reason, CartAdjustmentsSchema } from "../../../gen/shop/cart/v1/cart_pb.js";
import { toMoneyProto } from "../../money/money-proto.js";
import { errorDetail, type DetailEncoder } from "../../platform/errors/error-mapper.js";
import { CartChangedError, type CartAdjustment } from "../domain/cart-errors.js";

/** What checkout changed in the cart, as shop.cart.v1.CartAdjustments. */
export const cartErrorDetails: DetailEncoder = (error) => {
  if (!(error instanceof CartChangedError)) return [];
  return [
    errorDetail(CartAdjustmentsSchema, { cartVersion: BigInt(error.cartVersion), adjustments: adjustmentsToProto(error.adjustments) }),
  ];
};

/** Each fix of a cart's line, as CartAdjustments.Adjustment. */
export function adjustmentsToProto(adjustments: readonly CartAdjustment[]) {
  return adjustments.map((a) => ({
    productId: a.productId,
    variantId: a.variantId,
    reason: CartAdjustments_Reason[a.reason],
    oldUnitPrice: toMoneyProto(a.oldUnitPrice),
    newUnitPrice: toMoneyProto(a.newUnitPrice),
    noLongerAvailable: a.newQuantity === 0,
    oldQuantity: a.oldQuantity,
    newQuantity: a.newQuantity,
  }));
}
