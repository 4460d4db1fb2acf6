import type { MessageInitShape } from "@bufbuild/protobuf";
import type { MoneySchema, Money as MoneyProto } from "../../gen/shop/money/v1/money_pb.js";
import { money, type Money } from "./money.js";

export function toMoneyProto(value: Money): MessageInitShape<typeof MoneySchema> {
  return { currencyCode: value.currency, amountMinor: value.amountMinor };
}

export function fromMoneyProto(value: MoneyProto): Money {
  return money(value.currencyCode, value.amountMinor);
}
