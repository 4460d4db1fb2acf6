import { create } from "@bufbuild/protobuf";
import * as pb from "../../../gen/shop/order/v1/ledger_pb.js";
import type { OrderDeps } from "../../orders/order-deps.js";
import { changeOrder, present } from "../../orders/rpc/order-change.js";
import { readerOf } from "../../orders/rpc/order-callers.js";
import { balanceToProto } from "../../orders/rpc/order-mapper.js";
import { parseOrderId } from "../../orders/rpc/requests/field-rules.js";
import { findOrder } from "../../orders/store/order-queries.js";
import { keepVisible, viewerOf } from "../../platform/auth/visibility.js";
import type { ScopedImpl } from "../../platform/rpc/rpc-chain.js";
import type { LedgerEntryFields } from "../domain/ledger-data.js";
import { findLedger } from "../store/ledger-queries.js";
import { LEDGER_VISIBILITY } from "./ledger-access.js";
import { ledgerEntryToProto } from "./ledger-mapper.js";
import { parseIssueRefund } from "./ledger-requests.js";

/**
 * Thin handlers: proto in, use case, proto out. Who may call each is LEDGER_ACCESS, checked by the
 * call chain; every answer is cleared of what LEDGER_VISIBILITY does not grant the caller.
 */
export function ledgerService(deps: OrderDeps): ScopedImpl<typeof pb.OrderLedgerService> {
  return {
    async listLedgerEntries(request, scope) {
      const order = await findOrder(scope.em, parseOrderId(request.orderId), readerOf(scope.principal));
      const entries = await findLedger(scope.em, order.id);
      const answer = create(pb.ListLedgerEntriesResponseSchema, {
        entries: entries.map(ledgerEntryToProto),
        balance: balanceToProto(order),
      });
      return keepVisible(LEDGER_VISIBILITY, pb.ListLedgerEntriesResponseSchema, answer, viewerOf(scope.principal));
    },

    issueRefund(request, scope) {
      const command = parseIssueRefund(request, deps.pricing.currency);
      const { cause, amountMinor, reason } = command;
      const idempotencyKey = `refund:${command.orderId}:${command.requestId}`;
      let entry: LedgerEntryFields | undefined;
      return changeOrder(
        deps,
        pb.OrderLedgerService.method.issueRefund,
        request,
        scope,
        command,
        async (order, ctx) => {
          const effects = order.refundAmount({ cause, reason, idempotencyKey, ...(amountMinor ? { amountMinor } : {}) }, ctx.by);
          await ctx.run(effects);
          entry = order.newLedgerEntries.at(-1);
        },
        (order, principal) => {
          const answer = create(pb.IssueRefundResponseSchema, {
            order: present(principal)(order),
            entry: entry ? ledgerEntryToProto(entry) : undefined,
          });
          return keepVisible(LEDGER_VISIBILITY, pb.IssueRefundResponseSchema, answer, viewerOf(principal));
        },
      );
    },
  };
}
