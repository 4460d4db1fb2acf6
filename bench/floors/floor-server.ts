/**
 * What the floors share: a bare @grpc/grpc-js server for OrderService and CartService (protobuf-es
 * messages, no interceptors, no auth), a `pg` pool, the catalog's clients, the idempotency claim and
 * response statements, and the money shape of the responses.
 * Each floor runs as its own process, prints its port and serves until killed.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { DescService, MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { CartService } from "../../gen/shop/cart/v1/cart_pb.js";
import { InventoryService } from "../../gen/shop/inventory/v1/inventory_pb.js";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import type { MoneySchema } from "../../gen/shop/money/v1/money_pb.js";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";
import { grpcServiceDefinition } from "../../src/platform/transport/grpc-adapter.js";

type Handler = (request: never) => Promise<unknown>;
export type Handlers = Partial<Record<"getOrder" | "createOrder" | "listOrders" | "addItem", Handler>>;

/** The same pool size as the service's default (DB_POOL_MAX). */
export const pool = (url: string) => new pg.Pool({ connectionString: url, max: 10 });

/** Product and Inventory of the reference catalog, with @grpc/grpc-js clients as the service's. */
export function catalogClients(address: string) {
  const connect = (service: typeof ProductService | typeof InventoryService) => {
    const Client = grpc.makeGenericClientConstructor(grpcServiceDefinition(service), service.name);
    return new Client(address, grpc.credentials.createInsecure());
  };
  return { products: connect(ProductService), inventory: connect(InventoryService) };
}

export const unary = <T>(client: grpc.Client, method: string, request: unknown) =>
  new Promise<T>((resolve, reject) =>
    (client as unknown as Record<string, grpc.requestCallback<T> & ((...args: unknown[]) => void)>)[method]!(
      request,
      { deadline: Date.now() + 2_000 },
      (error: grpc.ServiceError | null, response: T) => (error ? reject(error) : resolve(response)),
    ),
  );

/** A writing floor's arguments (<DATABASE_URL> <catalog host:port> <topic>), its pool and the catalog's clients. */
export function writingFloor() {
  const [url, catalogAddress, topic] = process.argv.slice(2) as [string, string, string];
  return { url, topic, db: pool(url), ...catalogClients(catalogAddress) };
}

/** The service's idempotency claim of a request id (idempotency/), as one statement; the claim's token. */
export async function claimRequest(db: pg.Pool, key: string): Promise<string> {
  const token = randomUUID();
  const claimed = await db.query(
    `insert into idempotency_records (key, request_hash, created_at, claim_token, lease_until)
     values ($1, $2, now(), $3, now() + make_interval(secs => $4))
     on conflict (key) do update
       set request_hash = excluded.request_hash, created_at = now(), claim_token = excluded.claim_token, lease_until = excluded.lease_until
       where idempotency_records.completed_at is null
         and coalesce(idempotency_records.lease_until, idempotency_records.created_at + interval '60 seconds') < now()
     returning key`,
    [key, "floor", token, 12],
  );
  if (claimed.rowCount !== 1) throw new Error("request id in use");
  return token;
}

/** The response recorded under the claim, in the call's transaction. */
export async function storeResponse(tx: pg.PoolClient, key: string, token: string, response: Uint8Array): Promise<void> {
  const stored = await tx.query(
    `update idempotency_records set response = $1, completed_at = now() where key = $2 and claim_token = $3 returning 1`,
    [Buffer.from(response), key, token],
  );
  if (stored.rowCount !== 1) throw new Error("claim lost");
}

/** `work` in one transaction on a client of the pool. */
export async function inTransaction<T>(db: pg.Pool, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
  const tx = await db.connect();
  try {
    await tx.query("begin");
    const result = await work(tx);
    await tx.query("commit");
    return result;
  } catch (error) {
    await tx.query("rollback");
    throw error;
  } finally {
    tx.release();
  }
}

/** Every event carries a trace (outbox-writer.ts): a new unsampled root, as outside a traced call. */
export const traceparent = () => `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-00`;

export const OUTBOX_COLUMNS = "event_id, topic, aggregate_id, event_type, payload, occurred_at, next_attempt_at, trace_parent";

export const placeholders = (from: number, count: number) => `(${Array.from({ length: count }, (_, k) => `$${from + k}`).join(", ")})`;

const SERVICES: Record<keyof Handlers, DescService> = {
  getOrder: OrderService,
  createOrder: OrderService,
  listOrders: OrderService,
  addItem: CartService,
};

let failed = false;

export function serveFloor(handlers: Handlers): void {
  const server = new grpc.Server();
  const implementations = new Map<DescService, grpc.UntypedServiceImplementation>();
  for (const [name, handle] of Object.entries(handlers) as [keyof Handlers, Handler][]) {
    const implementation = implementations.get(SERVICES[name]) ?? {};
    implementations.set(SERVICES[name], implementation);
    implementation[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) =>
      void handle(call.request as never).then(
        (response) => callback(null, response),
        (error: Error) => {
          // A floor that fails measures nothing: say why once, where the bench's log shows it.
          if (!failed) console.error(`${name} failed: ${error.message}`);
          failed = true;
          callback({ code: grpc.status.INTERNAL, details: error.message });
        },
      );
  }
  for (const [service, implementation] of implementations) server.addService(grpcServiceDefinition(service), implementation);
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    console.log(port);
  });
}

export const money = (currencyCode: string, amountMinor: bigint): MessageInitShape<typeof MoneySchema> => ({ currencyCode, amountMinor });
