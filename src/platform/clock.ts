import { randomUUID } from "node:crypto";

/** The one source of time and of ids, replaceable in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function newId(): string {
  return randomUUID();
}
