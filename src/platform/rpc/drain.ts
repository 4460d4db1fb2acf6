import { ShuttingDownError } from "../errors/domain-errors.js";

/**
 * The first step of a graceful shutdown. From `start()` on, new calls are refused with the
 * service's own UNAVAILABLE (reason SHUTTING_DOWN, with a retry delay) while the process still
 * answers, streams are told to end (their signal aborts), and calls already in progress finish.
 */
export class Drain {
  private readonly controller = new AbortController();

  /** Aborts when draining starts: long-lived streams end on it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): void {
    this.controller.abort();
  }

  throwIfDraining(): void {
    if (this.controller.signal.aborted) throw new ShuttingDownError();
  }
}

/** Resolves when `done()` holds or at `deadline` (epoch ms), whichever comes first; true when done. */
export async function waitUntil(done: () => boolean, deadline: number, pollMs = 20): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return true;
}
