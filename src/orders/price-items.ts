import type { ProductCatalog } from "../catalog/catalog-ports.js";
import {
  InactiveProductsError,
  PriceMismatchError,
  UnknownProductsError,
  VariantChoiceError,
  type PriceDifference,
} from "../catalog/catalog-errors.js";
import { lineKey, sellableOf, type Sellable } from "../catalog/sellable.js";
import { equals } from "../money/money.js";
import type { Money } from "../money/money.js";
import { DependencyUnavailableError } from "../platform/errors/domain-errors.js";
import { newId } from "../platform/clock.js";
import type { NewItem } from "./domain/order.js";

/** A line as a request names it, before the catalog prices it. */
export interface ItemRequest {
  readonly productId: string;
  /** '' unless the product is sold by variant. */
  readonly variantId: string;
  readonly quantity: number;
  readonly expectedUnitPrice?: Money;
}

export interface PricedItem {
  readonly sellable: Sellable;
  readonly quantity: number;
  readonly unitPrice: Money;
}

/**
 * Looks every product up in one call and freezes its current price (the variant's, for products
 * sold by variant). Unknown products, variants that do not fit, lines off sale and prices the
 * client saw differently are each reported in full, not one at a time. `field` names the lines
 * in the request, for the error details.
 */
export async function priceItems(
  items: readonly ItemRequest[],
  currency: string,
  catalog: ProductCatalog,
  signal: AbortSignal,
  field: (index: number) => string = (i) => `items[${i}]`,
): Promise<PricedItem[]> {
  const { found, missing } = await catalog.getProducts([...new Set(items.map((item) => item.productId))], signal);
  const unknown = items.map((i) => i.productId).filter((id) => missing.includes(id) || !found.has(id));
  if (unknown.length) throw new UnknownProductsError(unknown);

  const problems: { field: string; description: string }[] = [];
  const priced = items.map((item, i) => {
    const sellable = sellableOf(found.get(item.productId)!, item.variantId);
    if ("problem" in sellable) problems.push({ field: `${field(i)}.variant_id`, description: sellable.problem });
    return { sellable: sellable as Sellable, quantity: item.quantity, expected: item.expectedUnitPrice };
  });
  if (problems.length) throw new VariantChoiceError(problems);

  const inactive = priced.filter((p) => !p.sellable.active).map((p) => lineKey(p.sellable));
  if (inactive.length) throw new InactiveProductsError(inactive);

  const foreign = priced.find((p) => p.sellable.price.currency !== currency);
  if (foreign) {
    throw new DependencyUnavailableError(
      "product service",
      `product "${foreign.sellable.productId}" is priced in ${foreign.sellable.price.currency}, not ${currency}`,
    );
  }

  const differences: PriceDifference[] = priced
    .filter((p) => p.expected && !equals(p.expected, p.sellable.price))
    .map((p) => ({ productId: p.sellable.productId, variantId: p.sellable.variantId, expected: p.expected!, actual: p.sellable.price }));
  if (differences.length) throw new PriceMismatchError(differences);

  return priced.map((p) => ({ sellable: p.sellable, quantity: p.quantity, unitPrice: p.sellable.price }));
}

/** A priced line as the order keeps it: the seller and the variant's sku and attributes frozen with the price. */
export function newItemOf({ sellable, quantity, unitPrice }: PricedItem): NewItem {
  return {
    id: newId(),
    productId: sellable.productId,
    sku: sellable.sku,
    name: sellable.name,
    imageUrl: sellable.imageUrl,
    quantity,
    unitPrice,
    sellerId: sellable.sellerId,
    variantId: sellable.variantId,
    variantAttributes: sellable.attributes,
  };
}
