/** Runs `task` every interval, never two at once; the returned stop waits for a run in progress. */
export function runEvery(intervalMs: number, task: () => Promise<unknown>): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(task);
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
