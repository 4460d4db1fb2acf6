import type { Inventory, ProductCatalog } from "../catalog/catalog-ports.js";
import type { PricingPolicy } from "../money/totals.js";
import type { PaymentGateway } from "../payments/payment-gateway.js";
import type { Idempotency } from "../idempotency/idempotency.js";
import type { Clock } from "../platform/clock.js";
import type { OrderNotifications } from "./store/order-notifications.js";
import type { WatchLimits } from "./watch-order.js";

/** What the order use cases need from outside the domain, wired in main.ts. */
export interface OrderDeps {
  readonly catalog: ProductCatalog;
  readonly inventory: Inventory;
  readonly payments: PaymentGateway;
  readonly pricing: PricingPolicy;
  /** CAPTURE_ON: PayOrder captures at once ("payment"), or authorizes and parcels capture as they leave ("shipment"). */
  readonly captureOn: "payment" | "shipment";
  readonly clock: Clock;
  readonly topic: string;
  readonly estimatedDeliveryDays: number;
  /** RETURN_WINDOW_DAYS and RETURN_REFUND_ON. */
  readonly returns: { readonly windowDays: number; readonly refundOn: "receipt" | "request" };
  readonly idempotency: Idempotency;
  /** Commits of order changes, from any instance (WatchOrder). */
  readonly notifications: OrderNotifications;
  readonly watch: WatchLimits;
}
