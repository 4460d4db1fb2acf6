import type { OrderChangeService } from "../../../gen/shop/order/v1/changes_pb.js";
import type { AccessTable, ByViewer, VisibilityTable } from "../../platform/auth/visibility.js";
import { ORDER_VISIBILITY } from "../../orders/rpc/order-access.js";

const ALL: ByViewer = { customer: true, seller: true, staff: true };
const DECIDE: ByViewer = { customer: false, seller: "changes of its own items only", staff: true };
const READ: ByViewer = { customer: "own orders", seller: "changes of its own items", staff: true };
const NOT_SELLER: ByViewer = { customer: true, seller: false, staff: true };
const STAFF: ByViewer = { customer: false, seller: false, staff: true };

/**
 * Who may call each OrderChangeService method. A customer asks for returns and exchanges of its own
 * orders and withdraws its own requests; a seller decides and receives changes of its own items
 * (another seller's change is NOT_FOUND, one mixing sellers is staff's); staff do everything.
 * Previews show the order's money, which is not a seller's.
 */
export const CHANGE_ACCESS: AccessTable<typeof OrderChangeService> = {
  createOrderChange: { customer: "returns and exchanges of own orders", seller: false, staff: true },
  previewOrderChange: { customer: "own orders", seller: false, staff: true },
  confirmOrderChange: DECIDE,
  declineOrderChange: DECIDE,
  cancelOrderChange: { customer: "own requests", seller: false, staff: true },
  receiveReturn: DECIDE,
  getOrderChange: READ,
  listOrderChanges: READ,
};

/** Each field of every message OrderChangeService answers with, by role. */
export const CHANGE_VISIBILITY: VisibilityTable = {
  "shop.order.v1.OrderChange": {
    id: ALL,
    order_id: ALL,
    type: ALL,
    status: ALL,
    return_status: ALL,
    order_version: ALL,
    actions: ALL,
    // Money back to the buyer is the buyer's and staff's business.
    lines: NOT_SELLER,
    note: ALL,
    // A user id: staff's.
    created_by: STAFF,
    create_time: ALL,
    update_time: ALL,
    decision_reason: ALL,
    received: ALL,
    receiving_location_id: { customer: false, seller: true, staff: true },
    seller_ids: { customer: false, seller: true, staff: true },
  },
  "shop.order.v1.ChangeAction": { return_item: ALL, claim_item: ALL, edit_item: ALL, add_item: ALL },
  "shop.order.v1.AddItemAction": {
    product_id: ALL,
    variant_id: ALL,
    quantity: ALL,
    item_id: ALL,
    unit_price: ALL,
    name: ALL,
    sku: ALL,
    seller_id: ALL,
  },
  "shop.order.v1.EditItemAction": { item_id: ALL, product_id: ALL, variant_id: ALL, previous_quantity: ALL, quantity: ALL },
  "shop.order.v1.ReturnItemAction": { item_id: ALL, quantity: ALL, reason: ALL, note: ALL },
  "shop.order.v1.ClaimItemAction": { item_id: ALL, quantity: ALL, reason: ALL, note: ALL, replace: ALL, replacement_item_id: ALL },
  "shop.order.v1.ChangeLine": { action: NOT_SELLER, item_id: NOT_SELLER, quantity: NOT_SELLER, amount: NOT_SELLER, tax: NOT_SELLER },
  "shop.order.v1.ReceivedLine": { item_id: ALL, good_quantity: ALL, damaged_quantity: ALL },
  "shop.order.v1.ChangePreview": {
    order: NOT_SELLER,
    lines: NOT_SELLER,
    refund_total: NOT_SELLER,
    cost_total: NOT_SELLER,
    difference_due: NOT_SELLER,
  },
  "shop.order.v1.CreateOrderChangeResponse": { change: ALL, preview: NOT_SELLER },
  "shop.order.v1.PreviewOrderChangeResponse": { preview: NOT_SELLER },
  "shop.order.v1.ConfirmOrderChangeResponse": { change: ALL, order: ALL },
  "shop.order.v1.DeclineOrderChangeResponse": { change: ALL },
  "shop.order.v1.CancelOrderChangeResponse": { change: ALL },
  "shop.order.v1.ReceiveReturnResponse": { change: ALL, order: ALL },
  "shop.order.v1.GetOrderChangeResponse": { change: ALL },
  "shop.order.v1.ListOrderChangesResponse": { changes: ALL, next_page_token: ALL },
  "shop.order.v1.Order": ORDER_VISIBILITY["shop.order.v1.Order"]!,
};
