/** Counts unary calls in progress in this process and refuses one past the limit (0: no limit). */
export class CallLimit {
  private current = 0;

  constructor(readonly max: number) {}

  tryEnter(): boolean {
    if (this.max > 0 && this.current >= this.max) return false;
    this.current++;
    return true;
  }

  leave(): void {
    this.current--;
  }

  get inProgress(): number {
    return this.current;
  }
}
