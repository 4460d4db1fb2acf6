import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { LedgerEntryKind, LedgerEntryState, RefundCause, type LedgerEntrySchema } from "../../../gen/shop/order/v1/ledger_pb.js";
import { money } from "../../money/money.js";
import { toMoneyProto } from "../../money/money-proto.js";
import type { LedgerEntryFields } from "../domain/ledger-data.js";

export function ledgerEntryToProto(entry: LedgerEntryFields): MessageInitShape<typeof LedgerEntrySchema> {
  const amount = (minor: bigint | string) => toMoneyProto(money(entry.currency, BigInt(minor)));
  const { breakdown } = entry;
  return {
    id: entry.id,
    position: entry.position,
    kind: LedgerEntryKind[entry.kind],
    state: LedgerEntryState[entry.state],
    amount: amount(entry.amountMinor),
    reference: entry.reference,
    parentReference: entry.parentReference,
    idempotencyKey: entry.idempotencyKey,
    refundCause: entry.refundCause ? RefundCause[entry.refundCause] : RefundCause.UNSPECIFIED,
    breakdown: breakdown
      ? {
          lines: breakdown.lines.map((line) => ({
            itemId: line.itemId,
            quantity: line.quantity,
            amount: amount(line.amountMinor),
            tax: amount(line.taxMinor),
          })),
          shipping: amount(breakdown.shippingMinor),
          tax: amount(breakdown.taxMinor),
          other: amount(breakdown.otherMinor),
        }
      : undefined,
    failureCode: entry.failureCode,
    actor: entry.actor,
    reason: entry.reason,
    createTime: timestampFromDate(entry.createdAt),
  };
}
