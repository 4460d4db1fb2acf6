import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { MikroORM } from "@mikro-orm/postgresql";
import type { ProductService } from "../../../gen/shop/product/v1/product_pb.js";
import { CatalogProduct } from "../catalog.entity.js";

const MAX_BATCH = 100;

function toProto(product: CatalogProduct) {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    price: { currencyCode: product.currency, amountMinor: product.priceMinor },
    active: product.active,
    imageUrl: product.imageUrl,
  };
}

/**
 * The built-in Product service: the same contract as the real one, backed by the seeded
 * catalog tables, so the order service runs without any other service.
 */
export function referenceProductService(orm: MikroORM) {
  return {
    async getProduct(request) {
      const product = await orm.em.fork().findOne(CatalogProduct, { id: request.id });
      if (!product) throw new ConnectError(`product "${request.id}" not found`, Code.NotFound);
      return { product: toProto(product) };
    },
    async batchGetProducts(request) {
      if (request.ids.length > MAX_BATCH) {
        throw new ConnectError(`at most ${MAX_BATCH} ids per call`, Code.InvalidArgument);
      }
      const products = await orm.em.fork().find(CatalogProduct, { id: { $in: [...new Set(request.ids)] } });
      const found = new Set(products.map((p) => p.id));
      return { products: products.map(toProto), missingIds: request.ids.filter((id) => !found.has(id)) };
    },
    async listProducts(request) {
      const pageSize = Math.min(Math.max(request.pageSize || 20, 1), 100);
      const products = await orm.em
        .fork()
        .find(
          CatalogProduct,
          { active: true, ...(request.pageToken ? { id: { $gt: request.pageToken } } : {}) },
          { orderBy: { id: "asc" }, limit: pageSize + 1 },
        );
      const page = products.slice(0, pageSize);
      return {
        products: page.map(toProto),
        nextPageToken: products.length > pageSize ? (page.at(-1)?.id ?? "") : "",
      };
    },
  } satisfies ServiceImpl<typeof ProductService>;
}
