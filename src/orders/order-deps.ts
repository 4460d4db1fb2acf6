import type { Inventory, ProductCatalog } from "../catalog/catalog-ports.js";
import type { PricingPolicy } from "../money/totals.js";
import type { PaymentGateway } from "../payments/payment-gateway.js";
import type { Clock } from "../platform/clock.js";
import type { PgListener } from "../platform/pg-listener.js";

/** What the order use cases need from outside the domain, wired in main.ts. */
export interface OrderDeps {
  readonly catalog: ProductCatalog;
  readonly inventory: Inventory;
  readonly payments: PaymentGateway;
  readonly pricing: PricingPolicy;
  readonly clock: Clock;
  readonly topic: string;
  readonly estimatedDeliveryDays: number;
  /** Commits of order changes, from any instance (WatchOrder). */
  readonly changes: PgListener;
}
