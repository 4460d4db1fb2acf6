import type { OrderLedgerService } from "../../../gen/shop/order/v1/ledger_pb.js";
import type { AccessTable, ByViewer, VisibilityTable } from "../../platform/auth/visibility.js";
import { ORDER_VISIBILITY } from "../../orders/rpc/order-access.js";

const BUYER: ByViewer = { customer: "own orders", seller: false, staff: true };
/** How the money moved, not who moved it or under which keys: those are staff's. */
const STAFF: ByViewer = { customer: false, seller: false, staff: true };

/**
 * Who may call each OrderLedgerService method. The buyer reads its own order's ledger (another's
 * is NOT_FOUND); only staff give money back outside a return. Sellers see neither: an order's
 * payment is not theirs.
 */
export const LEDGER_ACCESS: AccessTable<typeof OrderLedgerService> = {
  listLedgerEntries: BUYER,
  issueRefund: STAFF,
};

/** Each field of every message OrderLedgerService answers with, by role. */
export const LEDGER_VISIBILITY: VisibilityTable = {
  "shop.order.v1.LedgerEntry": {
    id: BUYER,
    position: BUYER,
    kind: BUYER,
    state: BUYER,
    amount: BUYER,
    // The provider's ids and the keys sent: what staff reconcile with, never needed by a buyer.
    reference: STAFF,
    parent_reference: STAFF,
    idempotency_key: STAFF,
    refund_cause: BUYER,
    breakdown: BUYER,
    failure_code: BUYER,
    actor: STAFF,
    // Staff's own words (goodwill, why a refund was made); the buyer sees the cause.
    reason: STAFF,
    create_time: BUYER,
  },
  "shop.order.v1.RefundBreakdown": { lines: BUYER, shipping: BUYER, tax: BUYER, other: BUYER },
  "shop.order.v1.RefundedLine": { item_id: BUYER, quantity: BUYER, amount: BUYER, tax: BUYER },
  "shop.order.v1.ListLedgerEntriesResponse": { entries: BUYER, balance: BUYER },
  "shop.order.v1.IssueRefundResponse": { order: STAFF, entry: STAFF },
  "shop.order.v1.Order": ORDER_VISIBILITY["shop.order.v1.Order"]!,
  "shop.order.v1.Balance": ORDER_VISIBILITY["shop.order.v1.Balance"]!,
};
