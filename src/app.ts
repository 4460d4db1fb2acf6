import type { ConnectRouter } from "@connectrpc/connect";
import type { MikroORM } from "@mikro-orm/postgresql";
import type { Logger } from "pino";
import { CartService, file_shop_cart_v1_cart } from "../gen/shop/cart/v1/cart_pb.js";
import { file_shop_order_v1_order_errors } from "../gen/shop/order/v1/order_errors_pb.js";
import { file_shop_order_events_v1_order_events } from "../gen/shop/order/events/v1/order_events_pb.js";
import { OrderService, file_shop_order_v1_order } from "../gen/shop/order/v1/order_pb.js";
import { FulfillmentService, file_shop_order_v1_fulfillment } from "../gen/shop/order/v1/fulfillment_pb.js";
import { OrderLedgerService, file_shop_order_v1_ledger } from "../gen/shop/order/v1/ledger_pb.js";
import { OrderChangeService, file_shop_order_v1_changes } from "../gen/shop/order/v1/changes_pb.js";
import { startReservationSweeper } from "./reservations/reservation-sweeper.js";
import { startAbandonedCartSweeper, startCartCleanup, startHoldSweeper } from "./cart/cart-cleanup.js";
import { cartService } from "./cart/rpc/cart-service.js";
import { createCatalogClients } from "./catalog/catalog-wiring.js";
import { DependencyMetrics } from "./platform/dependencies/dependency-metrics.js";
import type { Config } from "./config.js";
import { developmentTools } from "./dev/development.js";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "./db/embedded-postgres.js";
import { migrate, openOrm, requireMigrated } from "./db/orm.js";
import { Idempotency } from "./idempotency/idempotency.js";
import { startIdempotencyPurge } from "./idempotency/idempotency-purge.js";
import { OrderNotifications } from "./orders/store/order-notifications.js";
import { orderService } from "./orders/rpc/order-service.js";
import { createPaymentGateway } from "./payments/payment-wiring.js";
import { KafkaConnection } from "./outbox/kafka.js";
import { registerOutboxMetrics } from "./outbox/outbox-metrics.js";
import { OutboxRelay } from "./outbox/outbox-relay.js";
import { CdcOutbox } from "./outbox/cdc-outbox.js";
import { systemClock, type Clock } from "./platform/clock.js";
import { Admission } from "./platform/auth/admission.js";
import { KafkaDelivery } from "./outbox/kafka-delivery.js";
import { CART_ACCESS } from "./cart/rpc/cart-access.js";
import { ORDER_ACCESS } from "./orders/rpc/order-access.js";
import { FULFILLMENT_ACCESS } from "./fulfilment/rpc/fulfilment-access.js";
import { fulfilmentService } from "./fulfilment/rpc/fulfilment-service.js";
import { LEDGER_ACCESS } from "./ledger/rpc/ledger-access.js";
import { CHANGE_ACCESS } from "./changes/rpc/change-access.js";
import { changeService } from "./changes/rpc/change-service.js";
import { ledgerService } from "./ledger/rpc/ledger-service.js";
import { createAuthenticator } from "./platform/auth/auth-config.js";
import { developmentKey } from "./platform/development-keys.js";
import { CapabilityTokens } from "./platform/auth/capabilities.js";
import { CapabilityAuthenticator } from "./platform/auth/authenticator.js";
import { addConnectService } from "./platform/transport/grpc-adapter.js";
import { CallLimit } from "./platform/rpc/call-limit.js";
import { bindGrpcServer, createGrpcServer, shutdownGrpcServer } from "./platform/transport/grpc-server.js";
import { Health, type DependencyCheck } from "./platform/observability/health.js";
import { createMetricsRegistry, registerAuthMetrics, registerPoolMetrics } from "./platform/observability/metrics.js";
import { installTracing } from "./platform/observability/tracing.js";
import { RpcMetrics } from "./platform/observability/rpc-metrics.js";
import { PgListener } from "./db/pg-listener.js";
import { closeHttpServer, createAdminServer, createHttpServer, listen, type HttpServer } from "./platform/transport/http-server.js";
import { consoleFiles } from "./platform/transport/console-files.js";
import { reflectionService } from "./platform/transport/reflection.js";
import { serve, type Served } from "./platform/rpc/rpc-chain.js";
import { createErrorMapper } from "./platform/errors/error-mapper.js";
import { catalogErrorDetails } from "./catalog/catalog-error-details.js";
import { cartErrorDetails } from "./cart/rpc/cart-error-details.js";
import { StreamLimit } from "./platform/rpc/stream-limit.js";
import { Drain, waitUntil } from "./platform/rpc/drain.js";

export interface App {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Set when ADMIN_PORT is. */
  readonly adminPort?: number;
  readonly orm: MikroORM;
  readonly health: Health;
  /**
   * Graceful: refuse new calls (UNAVAILABLE, SHUTTING_DOWN) and end streams, let calls in
   * progress finish within the grace period, close the servers, publish what is left in the
   * outbox, close Kafka and the database.
   */
  stop(): Promise<void>;
}

const HEALTH_INTERVAL_MS = 5_000;
/** Publishing what is left in the outbox gets at least this long at shutdown, even when draining used the grace period up. */
const MIN_OUTBOX_FLUSH_MS = 1_000;

/** The composition root: config -> database -> Kafka -> services -> servers. */
/** What tests may replace: the clock (carts' holds, returns' windows) that the service and the built-in Inventory read. */
export interface AppOptions {
  readonly clock?: Clock;
}

/** Connections of the built-in Product and Inventory services (when no URL names real ones). */
const BUILT_IN_POOL_MAX = 4;

export async function startApp(config: Config, log: Logger, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir, port: config.database.embeddedPort, log });
    databaseUrl = embedded.url;
  }
  installTracing({ otlpEndpoint: config.tracesEndpoint, serviceName: "order-service" });
  const orm = await openOrm({ url: databaseUrl, poolMax: config.database.poolMax, log });
  if (config.database.migrateAtStart) await migrate(orm, databaseUrl, log);
  else {
    await requireMigrated(orm).catch(async (error: unknown) => {
      await orm.close();
      await embedded?.stop();
      throw error;
    });
  }

  const kafka = config.kafka
    ? new KafkaConnection({ ...config.kafka, topic: config.orderEventsTopic, cartTopic: config.cartEventsTopic }, log)
    : undefined;
  void kafka?.connect();
  if (!kafka) log.warn("KAFKA_BROKERS not set: events are kept in the outbox until a broker is configured");

  const changes = new PgListener(databaseUrl, "outbox_events", log);
  await changes.start();
  const metrics = createMetricsRegistry();
  let relay: OutboxRelay | undefined;
  const cdc = config.outbox.publisher === "debezium" ? new CdcOutbox(orm, config.outbox, log) : undefined;
  cdc?.registerMetrics(metrics);
  cdc?.start();
  if (cdc) log.info({ slot: config.outbox.slotName }, "OUTBOX_PUBLISHER=debezium: Debezium publishes the outbox; no relay runs here");
  else if (kafka) {
    const observer = registerOutboxMetrics(metrics, () => relay!.stats);
    const delivery = new KafkaDelivery(kafka.producer, kafka.admin, config.outbox.source, config.outbox.encoding);
    relay = new OutboxRelay(orm, delivery, changes, config.outbox, log, observer);
  }
  relay?.start();

  if (config.dependencies.plaintextInProduction.length) {
    log.warn(
      { urls: config.dependencies.plaintextInProduction },
      "ALLOW_PLAINTEXT_DEPENDENCIES=true: these dependencies are called without TLS; only a mesh adding mTLS makes that safe",
    );
  }
  const dependencyMetrics = new DependencyMetrics(metrics);
  // The built-in Product and Inventory get connections of their own: a cart change holds one of the
  // service's while it waits for Inventory, and with one shared pool enough of those waits would
  // leave Inventory none (a deadlock until the deadline).
  const builtIn =
    config.dependencies.productServiceUrl && config.dependencies.inventoryServiceUrl
      ? undefined
      : await openOrm({ url: databaseUrl, poolMax: BUILT_IN_POOL_MAX, log, contextName: "built-in" });
  const { catalog, inventory } = createCatalogClients(config.dependencies, builtIn ?? orm, dependencyMetrics, clock);
  registerPoolMetrics(metrics, await orm.em.getConnection().getNativeClient());
  const capabilities = new CapabilityTokens(
    config.guests.tokenSecret
      ? new TextEncoder().encode(config.guests.tokenSecret)
      : developmentKey(config.database.dataDir, "dev-capability-key").key,
  );
  const admission = new Admission(
    new CapabilityAuthenticator(capabilities, createAuthenticator(config, log)),
    {
      callsPerSecond: config.rateLimitPerSecond,
      failuresPerMinute: config.auth.failuresPerMinute,
      trustedProxies: config.auth.trustedProxies,
      guestCallsPerSecond: config.guests.callsPerSecondPerAddress,
      guestCartsPerMinute: config.guests.cartsPerMinutePerAddress,
    },
    registerAuthMetrics(metrics),
  );
  const callLimit = new CallLimit(config.maxCallsInProgress);
  const streamLimit = new StreamLimit(config.watch.maxStreams, config.watch.maxStreamsPerCaller);
  const drain = new Drain();
  const scopeDeps = {
    log,
    defaultTimeoutMs: config.rpcDefaultTimeoutMs,
    maxTimeoutMs: config.rpcMaxTimeoutMs,
    forkEntityManager: () => orm.em.fork(),
    metrics: new RpcMetrics(metrics),
    callLimit,
    streamLimit,
    drain,
    toConnectError: createErrorMapper([catalogErrorDetails, cartErrorDetails]),
  };
  const hashKey = config.idempotency.hashKey
    ? new TextEncoder().encode(config.idempotency.hashKey)
    : developmentKey(config.database.dataDir, "dev-idempotency-key").key;
  const orderDeps = {
    catalog,
    inventory,
    payments: createPaymentGateway(config, log, dependencyMetrics),
    pricing: config.pricing,
    clock,
    topic: config.orderEventsTopic,
    estimatedDeliveryDays: config.estimatedDeliveryDays,
    returns: config.returns,
    captureOn: config.captureOn,
    idempotency: new Idempotency(hashKey),
    notifications: new OrderNotifications(changes),
    watch: { maxLifetimeMs: config.watch.maxLifetimeMs, heartbeatMs: config.watch.heartbeatMs },
  };
  const services: Served[] = [
    serve(OrderService, orderService(orderDeps), ORDER_ACCESS, scopeDeps),
    serve(
      CartService,
      cartService({ ...orderDeps, cart: config.cart, capabilities, guests: config.guests, cartEventsTopic: config.cartEventsTopic }),
      CART_ACCESS,
      scopeDeps,
    ),
    serve(FulfillmentService, fulfilmentService(orderDeps), FULFILLMENT_ACCESS, scopeDeps),
    serve(OrderLedgerService, ledgerService(orderDeps), LEDGER_ACCESS, scopeDeps),
    serve(OrderChangeService, changeService(orderDeps), CHANGE_ACCESS, scopeDeps),
  ];
  const stopCartCleanup = startCartCleanup(orm, config.cart.cleanupIntervalMs, log);
  const sweeps = { orm, clock, topic: config.cartEventsTopic, log };
  const stopHoldSweeper = startHoldSweeper(sweeps, inventory, config.cart.holdSweepMs);
  const stopAbandonedSweeper = startAbandonedCartSweeper(sweeps, config.cart.abandonedAfterMs, config.cart.abandonedSweepMs);
  const stopReservationSweeper = startReservationSweeper(orm, inventory, config.reservationSweepMs, log);
  const stopIdempotencyPurge = startIdempotencyPurge(orm, config.idempotency.retentionMs, config.idempotency.purgeIntervalMs, log);

  const checks: DependencyCheck[] = [
    { name: "postgres", required: true, check: async () => void (await orm.em.fork().execute("select 1")) },
  ];
  if (kafka) checks.push({ name: "kafka", required: false, check: (signal) => kafka.check(signal) });
  const health = new Health(
    checks,
    services.map((served) => served((service) => service.typeName)),
    log,
  );
  await health.start(HEALTH_INTERVAL_MS);

  const grpcOptions = { host: config.host, port: config.grpcPort, maxMessageBytes: config.maxMessageBytes, log };
  const grpcServer = createGrpcServer(grpcOptions);
  for (const served of services) served((service, impl) => addConnectService(grpcServer, service, impl, admission));
  health.grpc.addToServer(grpcServer);
  if (config.grpcReflection) {
    reflectionService([
      file_shop_order_v1_order,
      file_shop_order_v1_fulfillment,
      file_shop_order_v1_ledger,
      file_shop_order_v1_changes,
      file_shop_order_events_v1_order_events,
      file_shop_order_v1_order_errors,
      file_shop_cart_v1_cart,
    ]).addToServer(grpcServer);
  }
  const grpcPort = await bindGrpcServer(grpcServer, grpcOptions);

  const development = developmentTools(config, orm, scopeDeps);
  if (development) log.warn("development tools on: /dev/token (from this machine only) and the development page");
  const healthSnapshot = () => ({ ...health.snapshot(), ...(relay ? { outbox: relay.stats } : cdc ? { outbox: cdc.stats } : {}) });
  const exposition = async () => ({ contentType: metrics.contentType, body: await metrics.metrics() });
  const metricsOnHttpPort = config.adminPort === undefined && config.environment === "development";
  if (config.adminPort === undefined && !metricsOnHttpPort) log.warn("/metrics is off: set ADMIN_PORT to serve it on a port of its own");
  const httpServer = createHttpServer({
    host: config.host,
    port: config.httpPort,
    corsOrigins: config.corsOrigins,
    tls: config.tls,
    maxMessageBytes: config.maxMessageBytes,
    routes: (router: ConnectRouter) => {
      for (const served of [...services, ...(development?.browserServices ?? [])]) served((service, impl) => router.service(service, impl));
    },
    admission,
    development,
    console: consoleFiles(config.consoleDir),
    health: healthSnapshot,
    metrics: metricsOnHttpPort ? exposition : undefined,
    log,
  });
  const httpPort = await listen(httpServer, config.host, config.httpPort, log);
  let adminServer: HttpServer | undefined;
  let adminPort: number | undefined;
  if (config.adminPort !== undefined) {
    adminServer = createAdminServer({ health: healthSnapshot, metrics: exposition, log });
    adminPort = await listen(adminServer, config.host, config.adminPort, log, "admin HTTP (/metrics, /healthz, /readyz)");
  }

  return {
    grpcPort,
    httpPort,
    adminPort,
    orm,
    health,
    async stop() {
      const deadline = Date.now() + config.shutdownGraceMs;
      health.markShuttingDown();
      drain.start();
      const drained = await waitUntil(() => callLimit.inProgress === 0 && streamLimit.openStreams === 0, deadline);
      log.info({ drained, unaryInProgress: callLimit.inProgress, streams: streamLimit.openStreams }, "calls drained; closing the servers");
      const remaining = () => Math.max(deadline - Date.now(), 0);
      await Promise.all([
        shutdownGrpcServer(grpcServer, remaining()),
        closeHttpServer(httpServer, remaining()),
        adminServer ? closeHttpServer(adminServer, 0) : undefined,
      ]);
      await stopCartCleanup();
      await stopHoldSweeper();
      await stopAbandonedSweeper();
      await stopReservationSweeper();
      await stopIdempotencyPurge();
      await relay?.stop(Math.max(remaining(), MIN_OUTBOX_FLUSH_MS));
      cdc?.stop();
      await kafka?.close();
      await changes.close();
      await orm.close();
      await builtIn?.close();
      await embedded?.stop();
    },
  };
}
