import type { Money } from "../money/money.js";
import type { ProductInfo } from "./catalog-ports.js";

/** What one cart or order line buys: a product, or one variant of it, as the catalog has it now. */
export interface Sellable {
  readonly productId: string;
  /** '' for products without variants. */
  readonly variantId: string;
  readonly sellerId: string;
  readonly sku: string;
  readonly name: string;
  readonly imageUrl: string;
  readonly price: Money;
  readonly active: boolean;
  readonly attributes: Readonly<Record<string, string>>;
}

/** One line per product and variant: the key carts, orders and stock lines are matched by. */
export function lineKey(line: { readonly productId: string; readonly variantId?: string }): string {
  return line.variantId ? `${line.productId}/${line.variantId}` : line.productId;
}

function describeVariants(product: ProductInfo): string {
  return product.variants.map((variant) => `${variant.id} (${Object.values(variant.attributes).join(", ")})`).join("; ");
}

/**
 * The unit a line buys, or why `variantId` does not fit the product: a product with variants is
 * bought by variant (its price, sku and stock are the variant's), one without takes none.
 */
export function sellableOf(product: ProductInfo, variantId: string): Sellable | { readonly problem: string } {
  const base = { productId: product.id, sellerId: product.sellerId, name: product.name, imageUrl: product.imageUrl };
  if (!product.variants.length) {
    if (variantId) return { problem: `product "${product.id}" has no variants; send no variant_id` };
    return { ...base, variantId: "", sku: product.sku, price: product.price, active: product.active, attributes: {} };
  }
  if (!variantId) return { problem: `product "${product.id}" is sold by variant; choose one of: ${describeVariants(product)}` };
  const variant = product.variants.find((candidate) => candidate.id === variantId);
  if (!variant) return { problem: `product "${product.id}" has no variant "${variantId}"; its variants are: ${describeVariants(product)}` };
  return {
    ...base,
    variantId: variant.id,
    sku: variant.sku,
    price: variant.price,
    active: product.active && variant.active,
    attributes: variant.attributes,
  };
}
