import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ClaimReason,
  OrderChangeStatus,
  OrderChangeType,
  ReturnReason,
  ReturnStatus,
  type ChangeActionSchema,
  type ChangePreviewSchema,
  type OrderChangeSchema,
} from "../../../gen/shop/order/v1/changes_pb.js";
import type { OrderSchema } from "../../../gen/shop/order/v1/order_pb.js";
import { money } from "../../money/money.js";
import { toMoneyProto } from "../../money/money-proto.js";
import type { ChangeAction, ChangeLine } from "../domain/change-data.js";
import type { OrderChangeView } from "../domain/order-change.js";
import type { ChangePreview } from "../change-use-cases.js";

function linesToProto(lines: readonly ChangeLine[], currency: string) {
  return lines.map((line) => ({
    action: line.action,
    itemId: line.itemId,
    quantity: line.quantity,
    amount: toMoneyProto(money(currency, BigInt(line.amountMinor))),
    tax: toMoneyProto(money(currency, BigInt(line.taxMinor))),
  }));
}

function actionToProto(action: ChangeAction, currency: string): MessageInitShape<typeof ChangeActionSchema> {
  switch (action.kind) {
    case "RETURN_ITEM":
      return { action: { case: "returnItem", value: { ...action, reason: ReturnReason[action.reason] } } };
    case "CLAIM_ITEM":
      return {
        action: {
          case: "claimItem",
          value: {
            ...action,
            reason: ClaimReason[action.reason],
            replace: action.replace ?? false,
            replacementItemId: action.replacementItemId ?? "",
          },
        },
      };
    case "EDIT_ITEM":
      return { action: { case: "editItem", value: action } };
    case "ADD_ITEM": {
      const { itemId, productId, variantId, quantity, name, sku, sellerId } = action;
      const unitPrice = toMoneyProto(money(currency, BigInt(action.unitPriceMinor || "0")));
      return { action: { case: "addItem", value: { itemId, productId, variantId, quantity, name, sku, sellerId, unitPrice } } };
    }
  }
}

export function changeToProto(change: OrderChangeView, currency: string): MessageInitShape<typeof OrderChangeSchema> {
  return {
    id: change.id,
    orderId: change.orderId,
    type: OrderChangeType[change.type],
    status: OrderChangeStatus[change.status],
    returnStatus: change.returnStatus ? ReturnStatus[change.returnStatus] : ReturnStatus.UNSPECIFIED,
    orderVersion: BigInt(change.orderVersion),
    actions: change.actions.map((action) => actionToProto(action, currency)),
    lines: linesToProto(change.lines, currency),
    note: change.note,
    createdBy: change.createdBy,
    createTime: timestampFromDate(change.createdAt),
    updateTime: timestampFromDate(change.updatedAt),
    decisionReason: change.decisionReason,
    received: change.received.map((line) => ({ itemId: line.itemId, goodQuantity: line.good, damagedQuantity: line.damaged })),
    receivingLocationId: change.receivingLocationId,
    sellerIds: change.sellerIds,
  };
}

export function previewToProto(
  preview: ChangePreview,
  order: MessageInitShape<typeof OrderSchema>,
  currency: string,
): MessageInitShape<typeof ChangePreviewSchema> {
  const amount = (minor: bigint) => toMoneyProto(money(currency, minor));
  return {
    order,
    lines: linesToProto(preview.lines, currency),
    refundTotal: amount(preview.refundMinor),
    costTotal: amount(preview.costMinor),
    differenceDue: amount(preview.costMinor - preview.refundMinor),
  };
}
