import type { ProductInfo } from "../catalog/catalog-ports.js";
import { InactiveProductsError, PriceMismatchError, UnknownProductsError, type PriceDifference } from "../catalog/catalog-errors.js";
import { equals } from "../money/money.js";
import type { Money } from "../money/money.js";
import type { ProductCatalog } from "../catalog/catalog-ports.js";
import { DependencyUnavailableError } from "../platform/domain-errors.js";
import type { ItemRequest } from "./place-order-input.js";

export interface PricedItem {
  readonly product: ProductInfo;
  readonly quantity: number;
  readonly unitPrice: Money;
}

/**
 * Looks every product up in one call and freezes its current price. Unknown products, products
 * off sale and prices the client saw differently are each reported in full, not one at a time.
 */
export async function priceItems(
  items: readonly ItemRequest[],
  currency: string,
  catalog: ProductCatalog,
  signal: AbortSignal,
): Promise<PricedItem[]> {
  const { found, missing } = await catalog.getProducts(
    items.map((item) => item.productId),
    signal,
  );
  const unknown = items.map((i) => i.productId).filter((id) => missing.includes(id) || !found.has(id));
  if (unknown.length) throw new UnknownProductsError(unknown);

  const priced = items.map((item) => ({ product: found.get(item.productId)!, quantity: item.quantity, expected: item.expectedUnitPrice }));
  const inactive = priced.filter((p) => !p.product.active).map((p) => p.product.id);
  if (inactive.length) throw new InactiveProductsError(inactive);

  const foreign = priced.find((p) => p.product.price.currency !== currency);
  if (foreign) {
    throw new DependencyUnavailableError(
      "product service",
      `product "${foreign.product.id}" is priced in ${foreign.product.price.currency}, not ${currency}`,
    );
  }

  const differences: PriceDifference[] = priced
    .filter((p) => p.expected && !equals(p.expected, p.product.price))
    .map((p) => ({ productId: p.product.id, expected: p.expected!, actual: p.product.price }));
  if (differences.length) throw new PriceMismatchError(differences);

  return priced.map((p) => ({ product: p.product, quantity: p.quantity, unitPrice: p.product.price }));
}
