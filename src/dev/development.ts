import { existsSync } from "node:fs";
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { MikroORM } from "@mikro-orm/postgresql";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";
import { referenceProductService } from "../catalog/reference/reference-products.js";
import type { Config } from "../config.js";
import { developmentSigningKey, signDevelopmentToken } from "../platform/auth/auth-config.js";
import { withRpcScope, type ScopeDeps } from "../platform/rpc-scope.js";

/**
 * What a development instance adds for the browser page (src/web): the built page itself, a
 * token for any development user (customer role, signed with the development key), and the
 * reference catalog over Connect so the page can browse it. Only when the instance checks tokens
 * with the development key: never in production, never when any key is configured.
 */
export function developmentTools(config: Config, orm: MikroORM, scopeDeps: ScopeDeps) {
  const key = developmentSigningKey(config);
  if (!key) return undefined;
  const browserServices: [DescService, Partial<ServiceImpl<DescService>>][] = config.dependencies.productServiceUrl
    ? []
    : [[ProductService, withRpcScope(ProductService, referenceProductService(orm), scopeDeps) as Partial<ServiceImpl<DescService>>]];
  return {
    webDir: existsSync(config.webDir) ? config.webDir : undefined,
    tokenFor: (userId: string) => signDevelopmentToken(config, key, userId, ["customer"]),
    browserServices,
  };
}
