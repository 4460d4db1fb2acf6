import { defineEntity, p } from "@mikro-orm/core";

/** The first response to a request id, replayed to retries of the same request. */
const IdempotencyRecordSchema = defineEntity({
  name: "IdempotencyRecord",
  tableName: "idempotency_records",
  properties: {
    /** "<rpc>:<caller>:<request id>", so two callers can pick the same id safely. */
    key: p.string().primary(),
    requestHash: p.string(),
    /** Null while the first request is still running. */
    response: p.blob().nullable(),
    createdAt: p.datetime(),
    completedAt: p.datetime().nullable(),
    /** Who runs the request now; only this token's holder may record the response. */
    claimToken: p.string().nullable(),
    /** Past this, the claimant is presumed dead and a retry may take the claim over. */
    leaseUntil: p.datetime().nullable(),
  },
});
export class IdempotencyRecord extends IdempotencyRecordSchema.class {}
IdempotencyRecordSchema.setClass(IdempotencyRecord);
