import { query } from "./db.js";

/**
 * What the order service controls, read in one snapshot of the shared database (the reference
 * Inventory, in its own process, keeps its reservations there): per product, the units Inventory
 * holds for open orders equal the units those orders ordered; no held reservation belongs to a
 * cancelled order; and a held reservation without an order is one being placed, recorded as
 * pending with its lease still running, or a cart's hold. Orders whose cancel was in flight during
 * the read are left out: their release commits before their cancellation does.
 *
 * A cart change moves its units to a new hold at Inventory before the cart's own row commits, so
 * while shoppers run a hold no cart points at yet is allowed if it lapses by itself. At rest
 * (`atRest`) nothing is in flight: every hold is a cart's current one and holds exactly its lines,
 * so a checkout that reserved the cart's lines again, instead of taking its hold over, shows here.
 */
export async function stockViolations(
  databaseUrl: string,
  products: readonly string[],
  excluded: readonly string[],
  atRest = false,
): Promise<string[]> {
  const rows = await query<{ problem: string }>(
    databaseUrl,
    `with lines as (
       select r.id as reservation_id, l->>'productId' as product_id, (l->>'quantity')::int as quantity
       from catalog_reservations r, jsonb_array_elements(r.lines) l where r.status = 'HELD'),
     open_orders as (
       select id, reservation_id from orders where status <> 'CANCELLED' and id::text <> all($1::text[])),
     held as (
       select l.product_id, sum(l.quantity)::int as units from lines l join open_orders o on o.reservation_id = l.reservation_id group by l.product_id),
     ordered as (
       select i.product_id, sum(i.quantity)::int as units from order_items i join open_orders o on o.id = i.order_id
       where i.status <> 'CANCELLED' group by i.product_id)
     select format('%s: Inventory holds %s units for open orders, which ordered %s', p, coalesce(h.units, 0), coalesce(d.units, 0)) as problem
       from unnest($2::text[]) p left join held h on h.product_id = p left join ordered d on d.product_id = p
       where coalesce(h.units, 0) <> coalesce(d.units, 0)
     union all
     select format('reservation %s is held for cancelled order %s', o.reservation_id, o.id)
       from orders o join catalog_reservations r on r.id = o.reservation_id
       where o.status = 'CANCELLED' and r.status = 'HELD' and o.id::text <> all($1::text[])
     union all
     select format('reservation %s is held with no order, no cart and %s', r.id,
                   case when p.reservation_id is null then 'no pending record' else 'its lease passed at ' || p.lease_until end)
       from catalog_reservations r left join orders o on o.reservation_id = r.id
       left join pending_reservations p on p.reservation_id = r.id
       where r.status = 'HELD' and o.id is null and (p.reservation_id is null or p.lease_until < now())
         and not exists (select 1 from carts c where c.reservation_id = r.id)
         and ($3 or r.expires_at is null)
     union all
     select format('cart %s holds %s units of %s at Inventory and has %s in its lines', coalesce(h.user_id, l.user_id),
                   coalesce(h.units, 0), coalesce(h.product_id, l.product_id), coalesce(l.units, 0))
       from (select c.user_id, a->>'productId' as product_id, sum((a->>'held')::int)::int as units
             from carts c join catalog_reservations r on r.id = c.reservation_id and r.status = 'HELD', jsonb_array_elements(r.allocations) a
             where c.holds_until > now() group by 1, 2) h
       full join (select c.user_id, i.product_id, sum(i.quantity)::int as units
                  from carts c join cart_items i on i.cart_user_id = c.user_id
                  where c.holds_until > now() and c.reservation_id <> '' group by 1, 2) l
         on l.user_id = h.user_id and l.product_id = h.product_id
       where $3 and coalesce(h.units, 0) <> coalesce(l.units, 0)
     union all
     select format('%s: Inventory counts %s units reserved, and its reservations hold %s', p.id, p.reserved, coalesce(x.units, 0))
       from catalog_products p left join (
         select a->>'productId' as product_id, sum((a->>'held')::int)::int as units
         from catalog_reservations r, jsonb_array_elements(r.allocations) a group by 1) x on x.product_id = p.id
       where p.id = any($2::text[]) and p.reserved <> coalesce(x.units, 0)`,
    [excluded, products, atRest],
  );
  return rows.map((row) => row.problem);
}
