import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
  readonly log: Logger;
}

export function createGrpcServer(options: GrpcServerOptions): grpc.Server {
  return new grpc.Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.max_send_message_length": options.maxMessageBytes,
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_permit_without_calls": 1,
  });
}

/** Binds plaintext h2c; TLS belongs to the mesh or load balancer in front of internal services. */
export function bindGrpcServer(server: grpc.Server, options: GrpcServerOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error) return reject(error);
      options.log.info({ port }, "gRPC listening");
      resolve(port);
    });
  });
}

/** Stops taking calls, waits up to `graceMs` for in-flight ones, then cancels what is left. */
export function shutdownGrpcServer(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
