import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const list = z
  .string()
  .transform((value) => value.split(",").map((item) => item.trim()).filter(Boolean));

const schema = z
  .object({
    HOST: z.string().min(1).default("0.0.0.0"),
    GRPC_PORT: port.default(50051),
    HTTP_PORT: port.default(8080),
    // "*" allows any origin; credentials are bearer tokens, never cookies, so that is safe.
    CORS_ORIGINS: list.default(["*"]),
    TLS_CERT_FILE: z.string().optional(),
    TLS_KEY_FILE: z.string().optional(),
    MAX_MESSAGE_BYTES: positiveInt.default(4 * 1024 * 1024),
    RPC_DEFAULT_TIMEOUT_MS: positiveInt.default(10_000),
    SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
    APP_ENV: z.enum(["development", "production"]).default("development"),
    AUTH_MODE: z.enum(["jwt", "gateway"]).default("jwt"),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    JWT_ISSUER: z.string().min(1).default("order-service"),
    JWT_AUDIENCE: z.string().min(1).default("order-service"),
    RPC_MAX_TIMEOUT_MS: positiveInt.default(60_000),
    // Calls per second per caller; 0 turns the limit off.
    RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(0).default(100),
    // Unary calls in progress per process; more are refused with UNAVAILABLE (0: no limit).
    MAX_CALLS_IN_PROGRESS: z.coerce.number().int().min(0).default(256),
    // The built development page (npm run build); served only when APP_ENV is development.
    WEB_DIR: z.string().min(1).default("dist/web"),
    // Where spans go (OTLP over HTTP, e.g. http://collector:4318/v1/traces); unset exports nothing.
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DATA_DIR: z.string().min(1).default(".data"),
    EMBEDDED_PG_PORT: port.default(54329),
    DB_POOL_MAX: positiveInt.default(10),

    KAFKA_BROKERS: list.optional(),
    KAFKA_CLIENT_ID: z.string().min(1).default("order-service"),
    KAFKA_TOPIC: z.string().regex(/^[a-zA-Z0-9._-]+$/).default("orders.v1"),
    EVENT_ENCODING: z.enum(["protobuf", "json"]).default("protobuf"),
    EVENT_SOURCE: z.string().min(1).default("/order-service"),
    OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
    OUTBOX_POLL_MS: positiveInt.default(1_000),
    OUTBOX_RETENTION_MS: positiveInt.default(7 * 24 * 3_600_000),

    PRODUCT_SERVICE_URL: z.url({ protocol: /^https?$/ }).optional(),
    INVENTORY_SERVICE_URL: z.url({ protocol: /^https?$/ }).optional(),
    DEPENDENCY_TIMEOUT_MS: positiveInt.default(2_000),
    DEPENDENCY_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
    BREAKER_THRESHOLD: positiveInt.default(5),
    BREAKER_HALF_OPEN_MS: positiveInt.default(5_000),
    // 0 turns the cache off. Bounds how stale a price can be when an order is priced.
    PRODUCT_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(2_000),

    CURRENCY: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD").default("USD"),
    TAX_RATE_BPS: z.coerce.number().int().min(0).max(10_000).default(800),
    FREE_SHIPPING_THRESHOLD_MINOR: z.coerce.number().int().min(0).default(5000),
    FLAT_SHIPPING_MINOR: z.coerce.number().int().min(0).default(599),
    ESTIMATED_DELIVERY_DAYS: z.coerce.number().int().min(0).max(365).default(5),

    CART_MAX_LINES: z.coerce.number().int().min(1).max(500).default(50),
    CART_MAX_QUANTITY: z.coerce.number().int().min(1).max(10_000).default(99),
    // An untouched cart is dropped after this long (default 30 days).
    CART_TTL_MS: positiveInt.default(30 * 24 * 3_600_000),
    CART_CLEANUP_INTERVAL_MS: positiveInt.default(3_600_000),
    // How often reservations of orders that were never written (their process died) are released.
    RESERVATION_SWEEP_MS: positiveInt.default(5_000),
  })
  .refine((env) => env.APP_ENV !== "production" || env.AUTH_MODE === "gateway" || env.JWT_SECRET || env.JWT_JWKS_URL, {
    message: "production needs JWT_SECRET or JWT_JWKS_URL (or AUTH_MODE=gateway behind a trusted gateway)",
    path: ["JWT_SECRET"],
  })
  .refine((env) => Boolean(env.TLS_CERT_FILE) === Boolean(env.TLS_KEY_FILE), {
    message: "TLS_CERT_FILE and TLS_KEY_FILE must be set together",
    path: ["TLS_CERT_FILE"],
  });

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads and validates the environment once; every problem is reported, not only the first. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const parsed = schema.safeParse(blanksRemoved);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join(".");
        const value = env[name];
        return `${name}: ${issue.message}${value === undefined ? "" : ` (got "${value}")`}`;
      }),
    );
  }
  return toConfig(parsed.data);
}

function toConfig(env: z.infer<typeof schema>) {
  return {
    host: env.HOST,
    grpcPort: env.GRPC_PORT,
    httpPort: env.HTTP_PORT,
    corsOrigins: env.CORS_ORIGINS,
    tls: env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE } : undefined,
    maxMessageBytes: env.MAX_MESSAGE_BYTES,
    rpcDefaultTimeoutMs: env.RPC_DEFAULT_TIMEOUT_MS,
    rpcMaxTimeoutMs: env.RPC_MAX_TIMEOUT_MS,
    rateLimitPerSecond: env.RATE_LIMIT_PER_SECOND,
    maxCallsInProgress: env.MAX_CALLS_IN_PROGRESS,
    environment: env.APP_ENV,
    webDir: env.WEB_DIR,
    tracesEndpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    auth: {
      mode: env.AUTH_MODE,
      secret: env.JWT_SECRET,
      jwksUrl: env.JWT_JWKS_URL,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
    },
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    logLevel: env.LOG_LEVEL,
    database: {
      url: env.DATABASE_URL,
      dataDir: env.DATA_DIR,
      embeddedPort: env.EMBEDDED_PG_PORT,
      poolMax: env.DB_POOL_MAX,
    },
    kafka: env.KAFKA_BROKERS?.length
      ? { brokers: env.KAFKA_BROKERS, clientId: env.KAFKA_CLIENT_ID, topic: env.KAFKA_TOPIC }
      : undefined,
    outbox: {
      batchSize: env.OUTBOX_BATCH_SIZE,
      pollMs: env.OUTBOX_POLL_MS,
      retentionMs: env.OUTBOX_RETENTION_MS,
      source: env.EVENT_SOURCE,
      encoding: env.EVENT_ENCODING,
    },
    dependencies: {
      productServiceUrl: env.PRODUCT_SERVICE_URL,
      inventoryServiceUrl: env.INVENTORY_SERVICE_URL,
      timeoutMs: env.DEPENDENCY_TIMEOUT_MS,
      resilience: {
        retries: env.DEPENDENCY_RETRIES,
        breakerThreshold: env.BREAKER_THRESHOLD,
        breakerHalfOpenAfterMs: env.BREAKER_HALF_OPEN_MS,
      },
      productCacheTtlMs: env.PRODUCT_CACHE_TTL_MS,
    },
    pricing: {
      currency: env.CURRENCY,
      taxRateBps: env.TAX_RATE_BPS,
      freeShippingThresholdMinor: BigInt(env.FREE_SHIPPING_THRESHOLD_MINOR),
      flatShippingMinor: BigInt(env.FLAT_SHIPPING_MINOR),
    },
    estimatedDeliveryDays: env.ESTIMATED_DELIVERY_DAYS,
    reservationSweepMs: env.RESERVATION_SWEEP_MS,
    cart: {
      maxLines: env.CART_MAX_LINES,
      maxQuantity: env.CART_MAX_QUANTITY,
      ttlMs: env.CART_TTL_MS,
      cleanupIntervalMs: env.CART_CLEANUP_INTERVAL_MS,
    },
  };
}
