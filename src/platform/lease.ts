/** Work may still commit a little after its deadline (a commit in flight); only then is it presumed dead. */
const MARGIN_MS = 5_000;
/** Streams have no deadline; nothing that takes a lease runs in one, but cap it anyway. */
const LONGEST_MS = 300_000;

/** Seconds a lease taken now for work ending at `deadline` (epoch ms) should last. */
export function leaseSeconds(deadline: number): number {
  return (Math.min(Math.max(deadline - Date.now(), 0), LONGEST_MS) + MARGIN_MS) / 1000;
}
