import { LRUCache } from "lru-cache";
import type { ProductCatalog, ProductInfo } from "./catalog-ports.js";

/**
 * Remembers products for a few seconds so a burst of orders for the same items does not ask the
 * Product service each time. The TTL bounds how stale a price can be when an order is priced;
 * unknown ids are never cached, so a new product is visible at once.
 */
export class CachedProductCatalog implements ProductCatalog {
  private readonly cache: LRUCache<string, ProductInfo>;

  constructor(
    private readonly inner: ProductCatalog,
    ttlMs: number,
    maxEntries = 10_000,
  ) {
    this.cache = new LRUCache({ max: maxEntries, ttl: ttlMs });
  }

  async getProducts(ids: readonly string[], signal: AbortSignal) {
    const found = new Map<string, ProductInfo>();
    const wanted: string[] = [];
    for (const id of ids) {
      const cached = this.cache.get(id);
      if (cached) found.set(id, cached);
      else wanted.push(id);
    }
    if (!wanted.length) return { found, missing: [] };
    const fetched = await this.inner.getProducts(wanted, signal);
    for (const [id, product] of fetched.found) {
      this.cache.set(id, product);
      found.set(id, product);
    }
    return { found, missing: fetched.missing };
  }
}
