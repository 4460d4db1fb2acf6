import { existsSync } from "node:fs";
import type { MikroORM } from "@mikro-orm/postgresql";
import { ProductService } from "../../gen/shop/product/v1/product_pb.js";
import { referenceProductService } from "../catalog/reference/reference-products.js";
import type { Config } from "../config.js";
import { developmentSigningKey, signDevelopmentToken } from "../platform/auth/auth-config.js";
import { serve, type Served } from "../platform/rpc/rpc-chain.js";
import type { ScopeDeps } from "../platform/rpc/rpc-scope.js";
import type { AccessTable } from "../platform/auth/visibility.js";

const EVERYONE = { customer: true, seller: true, staff: true };
/** The reference catalog, for the development page to browse: anyone signed in reads it. */
const CATALOG_ACCESS: AccessTable<typeof ProductService> = { getProduct: EVERYONE, batchGetProducts: EVERYONE, listProducts: EVERYONE };

/**
 * What a development instance adds for the browser page (src/web): the built page itself, a
 * token for any development user (customer, or admin for the staff console; signed with the development key), and the
 * reference catalog over Connect so the page can browse it. Only when the instance checks tokens
 * with the development key: never in production, never when any key is configured.
 */
export function developmentTools(config: Config, orm: MikroORM, scopeDeps: ScopeDeps) {
  const key = developmentSigningKey(config);
  if (!key) return undefined;
  const browserServices: Served[] = config.dependencies.productServiceUrl
    ? []
    : [serve(ProductService, referenceProductService(orm), CATALOG_ACCESS, scopeDeps)];
  return {
    webDir: existsSync(config.webDir) ? config.webDir : undefined,
    tokenFor: (userId: string, role: "customer" | "admin") => signDevelopmentToken(config, key, userId, [role]),
    browserServices,
  };
}
