/** The service's and the reference Inventory's clock, moved forward by tests; real time plus `offsetMs`. */
export class FakeClock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}
