import { defineEntity, p } from "@mikro-orm/core";

/** The first response to a request id, replayed to retries of the same request. */
const IdempotencyRecordSchema = defineEntity({
  name: "IdempotencyRecord",
  tableName: "idempotency_records",
  properties: {
    /** "<rpc>:<caller>:<request id>", so two callers can pick the same id safely. */
    key: p.string().length(512).primary(),
    requestHash: p.string().length(64),
    /** Null while the first request is still running. */
    response: p.blob().nullable(),
    createdAt: p.datetime().index("idempotency_records_created_at"),
    completedAt: p.datetime().nullable(),
    /** Who runs the request now; only this token's holder may record the response. */
    claimToken: p.string().length(64).nullable(),
    /** Past this, the claimant is presumed dead and a retry may take the claim over. */
    leaseUntil: p.datetime().nullable(),
  },
});
export class IdempotencyRecord extends IdempotencyRecordSchema.class {}
IdempotencyRecordSchema.setClass(IdempotencyRecord);
