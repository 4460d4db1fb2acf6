import { MikroORM } from "@mikro-orm/postgresql";
import { Migrator } from "@mikro-orm/migrations";
import pg from "pg";
import type { Logger } from "pino";
import { CartItemRow, CartRow } from "../cart/store/cart.entity.js";
import {
  CatalogLocation,
  CatalogProduct,
  CatalogStock,
  CatalogVariant,
  ReservationOperation,
  StockReservation,
} from "../catalog/catalog.entity.js";
import { FulfilmentOrderRow, ShipmentRow } from "../fulfilment/store/fulfilment.entity.js";
import { IdempotencyRecord } from "../idempotency/idempotency.entity.js";
import { LedgerEntryRow } from "../ledger/store/ledger.entity.js";
import { OrderChangeRow } from "../changes/store/change.entity.js";
import { migrations } from "../migrations/index.js";
import { OrderLinkRow } from "../guests/order-link.entity.js";
import { OrderItemRow, OrderRow, StatusChangeRow } from "../orders/store/order.entity.js";
import { EventSequence, OutboxHeartbeat } from "../outbox/outbox-tables.entity.js";
import { OutboxEvent } from "../outbox/outbox.entity.js";
import { PendingReservation, PendingStockChange } from "../reservations/pending-reservation.entity.js";

export const entities = [
  OrderRow,
  OrderItemRow,
  StatusChangeRow,
  OutboxEvent,
  EventSequence,
  OutboxHeartbeat,
  IdempotencyRecord,
  CatalogProduct,
  CatalogVariant,
  CatalogLocation,
  CatalogStock,
  StockReservation,
  ReservationOperation,
  CartRow,
  CartItemRow,
  PendingReservation,
  PendingStockChange,
  FulfilmentOrderRow,
  ShipmentRow,
  LedgerEntryRow,
  OrderChangeRow,
  OrderLinkRow,
];

/**
 * `contextName` names the instance in MikroORM's async context: a second instance in the same
 * process (the built-in Inventory's) must have its own, or its `em.fork()` inside the service's
 * transaction would fork the service's entity manager and take connections from its pool.
 */
export async function openOrm(options: { url: string; poolMax: number; log: Logger; contextName?: string }): Promise<MikroORM> {
  return MikroORM.init({
    contextName: options.contextName ?? "default",
    clientUrl: options.url,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, transactional: true, allOrNothing: true, snapshot: false },
    pool: { min: 0, max: options.poolMax },
    forceUtcTimezone: true,
    ensureDatabase: false,
    allowGlobalContext: false,
    logger: (message) => options.log.debug({ orm: message }, "orm"),
  });
}

/** Any fixed number shared by every instance of this service. */
const MIGRATION_LOCK_ID = 4_271_001;

/**
 * Applies pending migrations. Instances starting together queue on a PostgreSQL advisory lock,
 * so exactly one applies them and the others find nothing left to do.
 */
export async function migrate(orm: MikroORM, url: string, log: Logger): Promise<void> {
  const lockClient = new pg.Client({ connectionString: url });
  await lockClient.connect();
  try {
    await lockClient.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    const applied = await orm.migrator.up();
    if (applied.length) log.info({ migrations: applied.map((m) => m.name) }, "migrations applied");
  } finally {
    await lockClient.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => undefined);
    await lockClient.end();
  }
}

/**
 * With MIGRATE_AT_START=false the migration Job applies them first; a pod started before it has
 * finished stops here, saying so, instead of serving against an older schema.
 */
export async function requireMigrated(orm: MikroORM): Promise<void> {
  const pending = await orm.migrator.getPending();
  if (pending.length) {
    throw new Error(
      `pending migrations (${pending.map((m) => m.name).join(", ")}) and MIGRATE_AT_START=false: run the migrate command (the migration Job) first`,
    );
  }
}
