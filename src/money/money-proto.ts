import type { MessageInitShape } from "@bufbuild/protobuf";
import type { MoneySchema, Money as MoneyProto } from "../../gen/shop/money/v1/money_pb.js";
import { money, type Money } from "./money.js";
import { lineTotal, type PricedLine } from "./totals.js";

export function toMoneyProto(value: Money): MessageInitShape<typeof MoneySchema> {
  return { currencyCode: value.currency, amountMinor: value.amountMinor };
}

export function fromMoneyProto(value: MoneyProto): Money {
  return money(value.currencyCode, value.amountMinor);
}

/** The unit price and line total of an order or cart line, as the contracts show them. */
export function linePricesToProto(line: PricedLine) {
  return { unitPrice: toMoneyProto(line.unitPrice), lineTotal: toMoneyProto(lineTotal(line)) };
}
