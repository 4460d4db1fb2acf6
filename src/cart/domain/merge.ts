import type { CartLineFields } from "./cart-data.js";

export type MergeMode = "MERGE_MAX" | "SUM" | "REPLACE_WITH_GUEST" | "KEEP_EXISTING";

const keyOf = (line: CartLineFields) => `${line.productId}\u001f${line.variantId}`;

/**
 * A signed-in cart's lines after a guest cart is merged in, lines matched by product and variant.
 * MERGE_MAX keeps the larger quantity (and that line's snapshot; the existing one on a tie), SUM
 * adds them (existing snapshot), REPLACE_WITH_GUEST takes the guest's lines, KEEP_EXISTING leaves
 * the cart as it was. Existing lines keep their order; the guest's new ones follow. Quantities
 * are capped at `maxQuantity`, as AddItem caps them.
 */
export function mergeLines(
  existing: readonly CartLineFields[],
  guest: readonly CartLineFields[],
  mode: MergeMode,
  maxQuantity: number,
): CartLineFields[] {
  if (mode === "KEEP_EXISTING") return existing.map((line) => ({ ...line }));
  if (mode === "REPLACE_WITH_GUEST") return guest.map((line) => ({ ...line, quantity: Math.min(line.quantity, maxQuantity) }));
  const theirs = new Map(guest.map((line) => [keyOf(line), line]));
  const merged = existing.map((line) => {
    const other = theirs.get(keyOf(line));
    if (!other) return { ...line };
    if (mode === "SUM") return { ...line, quantity: Math.min(line.quantity + other.quantity, maxQuantity) };
    return other.quantity > line.quantity ? { ...other } : { ...line };
  });
  const mine = new Set(existing.map(keyOf));
  return [
    ...merged,
    ...guest.filter((line) => !mine.has(keyOf(line))).map((line) => ({ ...line, quantity: Math.min(line.quantity, maxQuantity) })),
  ];
}
