import type { Allocation } from "../catalog/catalog-ports.js";
import { newId } from "../platform/clock.js";
import type { AuditStamp } from "../orders/domain/audit-stamp.js";
import { awaitsPayment, type OrderView } from "../orders/domain/order.js";
import { FulfilmentOrder } from "./domain/fulfilment-order.js";

/**
 * A placed order's fulfilment orders: one per (seller, location) of where Inventory allocated its
 * lines, a line split across locations in each. An order waiting for money (awaitsPayment) starts
 * held AWAITING_PAYMENT, released by the payment. Units Inventory did not place (an Inventory that
 * predates locations) go to a fulfilment order at location "" of their seller.
 */
export function planFulfilment(order: OrderView, allocations: readonly Allocation[], by: AuditStamp): FulfilmentOrder[] {
  const groups = new Map<string, { sellerId: string; locationId: string; lines: { itemId: string; quantity: number }[] }>();
  const add = (sellerId: string, locationId: string, itemId: string, quantity: number) => {
    const key = `${sellerId}\u0000${locationId}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { sellerId, locationId, lines: [] }));
    group.lines.push({ itemId, quantity });
  };
  for (const item of order.items) {
    let placed = 0;
    for (const allocation of allocations) {
      if (allocation.productId !== item.productId || allocation.variantId !== item.variantId || allocation.quantity <= 0) continue;
      const quantity = Math.min(allocation.quantity, item.quantity - placed);
      if (quantity > 0) add(item.sellerId, allocation.locationId, item.id, quantity);
      placed += quantity;
    }
    if (placed < item.quantity) add(item.sellerId, "", item.id, item.quantity - placed);
  }
  const items = new Map(order.items.map((item) => [item.id, item]));
  const awaitingPayment = awaitsPayment(order);
  return [...groups.values()].map((group) =>
    FulfilmentOrder.create(
      {
        id: newId(),
        orderId: order.id,
        sellerId: group.sellerId,
        locationId: group.locationId,
        lines: group.lines.map(({ itemId, quantity }) => {
          const item = items.get(itemId)!;
          return { id: newId(), orderItemId: itemId, productId: item.productId, variantId: item.variantId, quantity };
        }),
      },
      by,
      awaitingPayment ? { id: newId(), reason: "AWAITING_PAYMENT", note: "released when the payment is captured" } : undefined,
    ),
  );
}
