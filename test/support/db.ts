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

/** Event types written to the outbox for one order, oldest first. */
export async function eventTypes(databaseUrl: string, orderId: string): Promise<string[]> {
  const rows = await query<{ event_type: string }>(
    databaseUrl,
    `select event_type from outbox_events where aggregate_id = $1 order by id`,
    [orderId],
  );
  return rows.map((row) => row.event_type.replace("shop.order.v1.", ""));
}
