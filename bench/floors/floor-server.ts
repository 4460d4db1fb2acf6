/**
 * What both floors share: a bare @grpc/grpc-js server for OrderService (protobuf-es messages,
 * no interceptors, no auth), a `pg` pool, and the money and status shapes of the responses.
 * Each floor runs as its own process, prints its port and serves until killed.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { OrderService } from "../../gen/shop/order/v1/order_pb.js";
import type { MoneySchema } from "../../gen/shop/money/v1/money_pb.js";
import { grpcServiceDefinition } from "../../src/platform/transport/grpc-adapter.js";

export type Handlers = Partial<Record<"getOrder" | "createOrder", (request: never) => Promise<unknown>>>;

/** The same pool size as the service's default (DB_POOL_MAX). */
export const pool = (url: string) => new pg.Pool({ connectionString: url, max: 10 });

export function serveFloor(handlers: Handlers): void {
  const server = new grpc.Server();
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, handle] of Object.entries(handlers)) {
    implementation[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) =>
      void handle(call.request as never).then(
        (response) => callback(null, response),
        (error: Error) => callback({ code: grpc.status.INTERNAL, details: error.message }),
      );
  }
  server.addService(grpcServiceDefinition(OrderService), implementation);
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    console.log(port);
  });
}

export const money = (currencyCode: string, amountMinor: bigint): MessageInitShape<typeof MoneySchema> => ({ currencyCode, amountMinor });
