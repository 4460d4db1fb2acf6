import { clone, create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { CardPaymentSchema, type PaymentMethod } from "../../gen/shop/order/v1/order_pb.js";

/**
 * The request with the card's payment token and display data emptied (the card stays named as
 * the method): what may be hashed and kept. A request id sent again with a new token (tokens are
 * single use) is the same request.
 */
export function withoutCardData<D extends DescMessage>(schema: D, request: MessageShape<D>): MessageShape<D> {
  if ((request as { paymentMethod?: PaymentMethod }).paymentMethod?.method.case !== "card") return request;
  const copy = clone(schema, request) as MessageShape<D> & { paymentMethod: PaymentMethod };
  copy.paymentMethod.method = { case: "card", value: create(CardPaymentSchema) };
  return copy;
}
