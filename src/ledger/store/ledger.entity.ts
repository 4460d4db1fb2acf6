import { defineEntity, p } from "@mikro-orm/core";
import type { Check, Fields, Holds } from "../../db/fields.js";
import { LEDGER_KINDS, LEDGER_STATES, REFUND_CAUSES, type LedgerEntryFields, type RefundBreakdown } from "../domain/ledger-data.js";

/*
 * The money ledger: one row per authorization, capture, refund and void of an order, only ever
 * added, in the order's transaction (under its lock), beside the running sums on the order's row.
 */
const LedgerEntrySchema = defineEntity({
  name: "OrderLedgerEntry",
  tableName: "order_ledger_entries",
  properties: {
    id: p.uuid().primary(),
    orderId: p.uuid(),
    position: p.integer(),
    kind: p.enum(LEDGER_KINDS),
    state: p.enum(LEDGER_STATES),
    currency: p.string().length(3),
    amountMinor: p.bigint(),
    reference: p.string().default(""),
    parentReference: p.string().default(""),
    idempotencyKey: p.string().length(512),
    refundCause: p.enum(["", ...REFUND_CAUSES] as const).default(""),
    breakdown: p.json<RefundBreakdown>().nullable(),
    failureCode: p.string().default(""),
    actor: p.string(),
    reason: p.string().length(1024).default(""),
    createdAt: p.datetime(),
  },
  uniques: [{ name: "order_ledger_entries_order_position", properties: ["orderId", "position"] }],
  checks: [{ name: "order_ledger_entries_amount_minor_check", expression: "amount_minor >= 0" }],
});
export class LedgerEntryRow extends LedgerEntrySchema.class {}
LedgerEntrySchema.setClass(LedgerEntryRow);

/** Compile-time only: fails to compile when the table and the domain's data differ. */
export type TableHoldsTheLedger = Check<Holds<Fields<LedgerEntryRow, never>, LedgerEntryFields>>;
