import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";
import { addConnectService } from "../../src/platform/grpc-adapter.js";

export type ProductBehaviour = { kind: "hang" } | { kind: "fail"; code: Code } | { kind: "delay"; ms: number };

/**
 * A real gRPC Product service on a random port that misbehaves on purpose: it hangs, fails, or
 * answers slowly with a fixed product, so tests see how the order service copes.
 */
export async function startProductTestServer(behaviour: ProductBehaviour) {
  const server = new grpc.Server();
  const product = {
    id: "prod-mug",
    sku: "MUG-001",
    name: "Stoneware mug",
    price: { currencyCode: "USD", amountMinor: 1250n },
    active: true,
  };
  const respond = async (signal: AbortSignal) => {
    if (behaviour.kind === "fail") throw new ConnectError("test failure", behaviour.code);
    const ms = behaviour.kind === "hang" ? 3_600_000 : behaviour.ms;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
    });
  };
  const impl: Partial<ServiceImpl<typeof ProductService>> = {
    async batchGetProducts(request, context) {
      await respond(context.signal);
      return { products: request.ids.includes(product.id) ? [product] : [], missingIds: request.ids.filter((id) => id !== product.id) };
    },
  };
  addConnectService(server, ProductService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { url: `http://127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}
