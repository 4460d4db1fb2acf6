import pg from "pg";

/** Reads the test app's database directly, to see what was (or was not) written. */
export async function query<T = Record<string, unknown>>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query(text, params)).rows as T[];
  } finally {
    await db.end();
  }
}

export async function stockOf(databaseUrl: string, productId: string): Promise<{ available: number; reserved: number }> {
  const [row] = await query<{ available: number; reserved: number }>(
    databaseUrl,
    `select available, reserved from catalog_products where id = $1`,
    [productId],
  );
  return row!;
}

/** Event types written to the outbox for one order, oldest first: the order's own, or with `fulfilment` its fulfilment's too. */
export async function eventTypes(databaseUrl: string, orderId: string, options: { fulfilment?: boolean } = {}): Promise<string[]> {
  const rows = await query<{ event_type: string }>(
    databaseUrl,
    `select event_type from outbox_events where aggregate_id = $1 order by id`,
    [orderId],
  );
  return rows
    .map((row) => row.event_type.replace("shop.order.v1.", ""))
    .filter((type) => options.fulfilment || !/^(Fulfillment|Shipment)/.test(type));
}

/**
 * Sets the stock of a product (or one variant) the reference Inventory keeps: all of it at the
 * first location of its seller, none at the others, nothing reserved; its totals follow. Without
 * a product, every active line gets it.
 */
export async function setStock(
  databaseUrl: string,
  available: number,
  line: { productId?: string; variantId?: string } = {},
): Promise<void> {
  await query(
    databaseUrl,
    `with target as (
       select s.location_id, s.product_id, s.variant_id,
              row_number() over (partition by s.product_id, s.variant_id order by l.position, l.id) as n
       from catalog_stock s join catalog_locations l on l.id = s.location_id join catalog_products p on p.id = s.product_id
       where ($1::text is null or s.product_id = $1) and ($2::text is null or s.variant_id = $2) and ($1::text is not null or p.active)
     )
     update catalog_stock s set available = case when t.n = 1 then $3::int else 0 end, reserved = 0
     from target t where s.location_id = t.location_id and s.product_id = t.product_id and s.variant_id = t.variant_id`,
    [line.productId ?? null, line.variantId ?? null, available],
  );
  await query(
    databaseUrl,
    `update catalog_products p set available = x.a, reserved = x.r
     from (select product_id, sum(available)::int as a, sum(reserved)::int as r from catalog_stock where variant_id = '' group by product_id) x
     where p.id = x.product_id`,
  );
  await query(
    databaseUrl,
    `update catalog_variants v set available = x.a, reserved = x.r
     from (select variant_id, sum(available)::int as a, sum(reserved)::int as r from catalog_stock where variant_id <> '' group by variant_id) x
     where v.id = x.variant_id`,
  );
}

/** Sets a product's (or variant's) available stock at each named location (others keep theirs), nothing reserved; its totals follow. */
export async function setStockAt(
  databaseUrl: string,
  productId: string,
  atLocations: Record<string, number>,
  variantId = "",
): Promise<void> {
  for (const [locationId, available] of Object.entries(atLocations)) {
    await query(
      databaseUrl,
      `update catalog_stock set available = $4, reserved = 0 where location_id = $1 and product_id = $2 and variant_id = $3`,
      [locationId, productId, variantId, available],
    );
  }
  const table = variantId ? "catalog_variants" : "catalog_products";
  await query(
    databaseUrl,
    `update ${table} t set available = x.a, reserved = x.r
     from (select sum(available)::int as a, sum(reserved)::int as r from catalog_stock where product_id = $1 and variant_id = $2) x
     where t.id = $3`,
    [productId, variantId, variantId || productId],
  );
}

/** A line's stock at each location: available and reserved. */
export async function stockAt(
  databaseUrl: string,
  productId: string,
  variantId = "",
): Promise<Record<string, { available: number; reserved: number }>> {
  const rows = await query<{ location_id: string; available: number; reserved: number }>(
    databaseUrl,
    `select location_id, available, reserved from catalog_stock where product_id = $1 and variant_id = $2 order by location_id`,
    [productId, variantId],
  );
  return Object.fromEntries(rows.map((row) => [row.location_id, { available: row.available, reserved: row.reserved }]));
}
