import type { OrderService } from "../../../gen/shop/order/v1/order_pb.js";
import type { AccessTable, ByViewer, FilterTable, VisibilityTable } from "../../platform/auth/visibility.js";

const ALL: ByViewer = { customer: true, seller: true, staff: true };
const STAFF: ByViewer = { customer: false, seller: false, staff: true };
const NOT_SELLER: ByViewer = { customer: true, seller: false, staff: true };
/** What a seller ships: its own lines, and who and where they go to. */
const SHIPPING: ByViewer = { customer: true, seller: "to ship its items", staff: true };
const READ: ByViewer = { customer: "own orders", seller: "orders holding its items, narrowed to them", staff: true };
/** GetOrder and WatchOrder: a guest reads its one order with the order link (platform/auth/capability-grants.ts). */
const READ_WITH_LINK: ByViewer = { ...READ, customer: "own orders, or the one order of an order link" };

/**
 * Who may call each OrderService method. A customer acts on its own orders (another's is NOT_FOUND),
 * a seller reads the orders holding its items and moves those items, staff (admin, service) do
 * everything. The call chain refuses what a row does not grant before the handler runs.
 */
export const ORDER_ACCESS: AccessTable<typeof OrderService> = {
  createOrder: { customer: "for themselves", seller: false, staff: "for anyone" },
  getOrder: READ_WITH_LINK,
  listOrders: READ,
  getOrderStatus: READ,
  getOrderHistory: READ,
  watchOrder: READ_WITH_LINK,
  payOrder: { customer: "own orders", seller: false, staff: true },
  cancelOrder: { customer: "own orders", seller: false, staff: true },
  updateOrderItemStatus: { customer: false, seller: "its own items", staff: true },
  updateOrder: STAFF,
  updateOrderStatus: STAFF,
  refundOrder: STAFF,
  deleteOrder: STAFF,
  addOrderItem: STAFF,
  updateOrderItemQuantity: STAFF,
  removeOrderItem: STAFF,
  listOrderEvents: STAFF,
  retryOrderEvents: STAFF,
  revokeOrderLinks: STAFF,
};

/**
 * ListOrders' filters by role. A customer's are applied within its own orders, a seller's within the
 * orders holding its items; a seller may not filter by who the customer is, or the answer would say
 * whether a guessed email or user id bought from it.
 */
export const LIST_ORDERS_FILTERS: FilterTable = {
  page_size: ALL,
  page_token: ALL,
  statuses: ALL,
  user_id: { customer: "own id only (another's finds none)", seller: false, staff: true },
  customer_email: { customer: "within own orders", seller: false, staff: true },
  created_after: ALL,
  created_before: ALL,
  include_total_size: ALL,
  seller_id: { customer: "within own orders", seller: "own id only (another's finds none)", staff: true },
  order_number: ALL,
  include_status_counts: ALL,
};

/** Each field of every message OrderService answers with, by role. */
export const ORDER_VISIBILITY: VisibilityTable = {
  "shop.order.v1.Order": {
    id: ALL,
    order_number: ALL,
    user_id: NOT_SELLER,
    customer: SHIPPING,
    items: { customer: true, seller: "own lines only", staff: true },
    shipping_address: SHIPPING,
    payment: NOT_SELLER,
    status: ALL,
    subtotal: { customer: true, seller: "of own lines", staff: true },
    tax: NOT_SELLER,
    shipping: NOT_SELLER,
    total: NOT_SELLER,
    notes: SHIPPING,
    tracking_number: ALL,
    carrier: ALL,
    estimated_delivery_date: ALL,
    // The customer's own words ("moved to 9 Elm St, call ..."): theirs and staff's.
    cancel_reason: NOT_SELLER,
    version: ALL,
    create_time: ALL,
    update_time: ALL,
    partially_shipped: ALL,
    // Money is the buyer's and staff's; a seller sees its own lines, not the order's payment.
    balance: NOT_SELLER,
    guest: ALL,
  },
  "shop.order.v1.Balance": {
    authorized: NOT_SELLER,
    captured: NOT_SELLER,
    refunded: NOT_SELLER,
    current_total: NOT_SELLER,
    outstanding: NOT_SELLER,
    refunded_shipping: NOT_SELLER,
    refunded_tax: NOT_SELLER,
    voided: NOT_SELLER,
    due: NOT_SELLER,
  },
  "shop.order.v1.Customer": {
    email: NOT_SELLER,
    first_name: SHIPPING,
    last_name: SHIPPING,
    phone: SHIPPING,
  },
  "shop.order.v1.Address": {
    line1: SHIPPING,
    line2: SHIPPING,
    city: SHIPPING,
    state: SHIPPING,
    postal_code: SHIPPING,
    country_code: SHIPPING,
  },
  "shop.order.v1.OrderItem": {
    id: ALL,
    product_id: ALL,
    sku: ALL,
    name: ALL,
    quantity: ALL,
    unit_price: ALL,
    line_total: ALL,
    status: ALL,
    image_url: ALL,
    seller_id: ALL,
    variant_id: ALL,
    variant_attributes: ALL,
    shipped_quantity: ALL,
    delivered_quantity: ALL,
    // A seller sees what of its own lines came back.
    refunded_quantity: ALL,
    refunded_amount: ALL,
    returned_quantity: ALL,
  },
  "shop.order.v1.Payment": {
    method: NOT_SELLER,
    status: NOT_SELLER,
    display: NOT_SELLER,
    transaction_id: NOT_SELLER,
    amount: NOT_SELLER,
    failure_reason: NOT_SELLER,
    update_time: NOT_SELLER,
  },
  "shop.money.v1.Money": { currency_code: ALL, amount_minor: ALL },
  "shop.order.v1.StatusChange": {
    from_status: ALL,
    to_status: ALL,
    change_time: ALL,
    actor: { customer: "own id, else customer, system or staff", seller: "own id, else customer, system or staff", staff: true },
    reason: NOT_SELLER,
  },
  "shop.order.v1.StatusCount": { status: ALL, count: ALL },
  "shop.order.v1.OrderEventRecord": {
    event_id: STAFF,
    type: STAFF,
    topic: STAFF,
    occur_time: STAFF,
    published: STAFF,
    publish_time: STAFF,
    attempts: STAFF,
    parked: STAFF,
    last_error: STAFF,
    next_attempt_time: STAFF,
  },
  "shop.order.v1.CreateOrderResponse": { order: ALL },
  "shop.order.v1.GetOrderResponse": { order: ALL },
  "shop.order.v1.ListOrdersResponse": { orders: ALL, next_page_token: ALL, total_size: ALL, status_counts: ALL },
  "shop.order.v1.GetOrderStatusResponse": {
    order_id: ALL,
    order_number: ALL,
    status: ALL,
    payment_status: NOT_SELLER,
    history: ALL,
    tracking_number: ALL,
    carrier: ALL,
    estimated_delivery_date: ALL,
    items: { customer: true, seller: "own lines only", staff: true },
  },
  "shop.order.v1.GetOrderHistoryResponse": { changes: ALL, next_page_token: ALL },
  "shop.order.v1.UpdateOrderResponse": { order: ALL },
  "shop.order.v1.UpdateOrderStatusResponse": { order: ALL },
  "shop.order.v1.PayOrderResponse": { order: ALL },
  "shop.order.v1.CancelOrderResponse": { order: ALL },
  "shop.order.v1.RefundOrderResponse": { order: ALL },
  "shop.order.v1.DeleteOrderResponse": {},
  "shop.order.v1.UpdateOrderItemStatusResponse": { order: ALL },
  "shop.order.v1.AddOrderItemResponse": { order: ALL },
  "shop.order.v1.UpdateOrderItemQuantityResponse": { order: ALL },
  "shop.order.v1.RemoveOrderItemResponse": { order: ALL },
  "shop.order.v1.WatchOrderResponse": { order: ALL, event_type: ALL, heartbeat: ALL },
  "shop.order.v1.ListOrderEventsResponse": { events: STAFF },
  "shop.order.v1.RetryOrderEventsResponse": { retried_count: STAFF, events: STAFF },
  "shop.order.v1.RevokeOrderLinksResponse": { revoked: STAFF },
};
