/** Who changed an order, and when: what its status history keeps for every change. */
export interface AuditStamp {
  /** The caller's user id. */
  readonly actor: string;
  readonly at: Date;
}
