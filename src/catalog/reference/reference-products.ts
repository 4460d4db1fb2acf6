import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { MikroORM } from "@mikro-orm/postgresql";
import type { ProductService } from "../../../gen/shop/product/v1/product_pb.js";
import type { EntityManager } from "@mikro-orm/postgresql";
import { CatalogProduct, CatalogVariant } from "../catalog.entity.js";

const MAX_BATCH = 100;

function toProto(product: CatalogProduct, variants: readonly CatalogVariant[] = []) {
  return {
    sellerId: product.sellerId,
    variants: variants.map((variant) => ({
      id: variant.id,
      sku: variant.sku,
      attributes: variant.attributes,
      price: { currencyCode: product.currency, amountMinor: variant.priceMinor },
      active: variant.active,
    })),
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    price: { currencyCode: product.currency, amountMinor: product.priceMinor },
    active: product.active,
    imageUrl: product.imageUrl,
  };
}

/** Products with their variants, in one extra query for the whole page. */
async function withVariants(em: EntityManager, products: CatalogProduct[]) {
  const variants = products.length
    ? await em.find(CatalogVariant, { productId: { $in: products.map((p) => p.id) } }, { orderBy: { id: "asc" } })
    : [];
  return products.map((product) =>
    toProto(
      product,
      variants.filter((variant) => variant.productId === product.id),
    ),
  );
}

/**
 * The built-in Product service: the same contract as the real one, backed by the seeded
 * catalog tables, so the order service runs without any other service.
 */
export function referenceProductService(orm: MikroORM) {
  return {
    async getProduct(request) {
      const em = orm.em.fork();
      const product = await em.findOne(CatalogProduct, { id: request.id });
      if (!product) throw new ConnectError(`product "${request.id}" not found`, Code.NotFound);
      return { product: (await withVariants(em, [product]))[0] };
    },
    async batchGetProducts(request) {
      if (request.ids.length > MAX_BATCH) {
        throw new ConnectError(`at most ${MAX_BATCH} ids per call`, Code.InvalidArgument);
      }
      const em = orm.em.fork();
      const products = await em.find(CatalogProduct, { id: { $in: [...new Set(request.ids)] } });
      const found = new Set(products.map((p) => p.id));
      return { products: await withVariants(em, products), missingIds: request.ids.filter((id) => !found.has(id)) };
    },
    async listProducts(request) {
      const pageSize = Math.min(Math.max(request.pageSize || 20, 1), 100);
      const em = orm.em.fork();
      const products = await em.find(
        CatalogProduct,
        { active: true, ...(request.pageToken ? { id: { $gt: request.pageToken } } : {}) },
        { orderBy: { id: "asc" }, limit: pageSize + 1 },
      );
      const page = products.slice(0, pageSize);
      return {
        products: await withVariants(em, page),
        nextPageToken: products.length > pageSize ? (page.at(-1)?.id ?? "") : "",
      };
    },
  } satisfies ServiceImpl<typeof ProductService>;
}
