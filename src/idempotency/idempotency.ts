import { fromBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { EntityManager } from "@mikro-orm/postgresql";
import { newId } from "../platform/clock.js";
import { AlreadyExistsError, DomainError } from "../platform/errors/domain-errors.js";
import { leaseSeconds } from "../platform/lease.js";
import { idempotencyKey, requestHash } from "./request-key.js";
import { query, type SqlStep } from "../db/sql.js";
import { encodeOnce } from "../platform/transport/encoded-once.js";

const POLL_MS = 25;
const RECORD = "update idempotency_records set response = ?, completed_at = now() where key = ? and claim_token = ? returning 1";

interface Scope {
  readonly em: EntityManager;
  readonly signal: AbortSignal;
  /** The claim's lease runs to this (epoch ms) plus a margin. */
  readonly deadline: number;
}

export interface IdempotentCall<Req extends DescMessage, Res extends DescMessage> {
  readonly rpc: string;
  /** The authenticated caller: one caller's request ids never meet another's. */
  readonly caller: string;
  /** What else names the request: the request id, and the order or user it is about. */
  readonly parts: readonly string[];
  readonly requestSchema: Req;
  /** Without card data: what is hashed is kept (callers pass it through payments/card-data.ts). */
  readonly request: MessageShape<Req>;
  readonly responseSchema: Res;
  /**
   * Runs before a stored response is given back and throws if the caller may no longer see what
   * it is about (an order deleted since, say), so a replay never shows more than a fresh call would.
   */
  readonly beforeReplay: (response: MessageShape<Res>) => Promise<unknown>;
}

/**
 * Call inside the work's own transaction, so the response is stored exactly when the work commits;
 * or put `step` into one of the work's statements, to store it without a round trip of its own.
 */
export interface RecordResponse<Res extends DescMessage> {
  (tx: EntityManager, response: MessageShape<Res>): Promise<void>;
  step(response: MessageShape<Res>): SqlStep;
}

/** This attempt outlived its claim and another attempt of the same request took it over. */
export class ClaimLostError extends DomainError {
  constructor() {
    super("aborted", "REQUEST_TAKEN_OVER", "a retry of this request took over while it ran; nothing was written, retry to get its answer");
  }
}

export class InProgressError extends DomainError {
  constructor() {
    super("aborted", "REQUEST_IN_PROGRESS", "a request with this request_id is still being processed; retry shortly");
  }
}

/**
 * Runs `work` once per key (RPC, caller, request id and what the request is about). A retry with the same request gets the first response; the same key
 * with a different request is ALREADY_EXISTS; a duplicate arriving while the first still runs
 * waits for it (until the caller's deadline). Failures are not remembered: the request id can be
 * retried after an error. The answer is the response `work` recorded in its transaction, so it
 * is built once and is exactly what a retry will get. A claim is leased until the call's
 * deadline (plus a margin): a retry after the claimant died takes it over once the lease has
 * passed, and the claim token makes sure only the current claimant can record a response.
 */
export class Idempotency {
  /** `hashKey` keys the request hashes (HMAC-SHA-256), so a stored hash cannot be matched against guessed requests. */
  constructor(private readonly hashKey: Uint8Array) {}

  run<Req extends DescMessage, Res extends DescMessage>(
    scope: Scope,
    call: IdempotentCall<Req, Res>,
    work: (record: RecordResponse<Res>) => Promise<unknown>,
  ): Promise<MessageShape<Res>> {
    const hash = requestHash(this.hashKey, call.requestSchema, call.request);
    return idempotent(scope, call, idempotencyKey(call.rpc, call.caller, call.parts), hash, work);
  }
}

async function idempotent<Req extends DescMessage, Res extends DescMessage>(
  { em, signal, deadline }: Scope,
  call: IdempotentCall<Req, Res>,
  key: string,
  hash: string,
  work: (record: RecordResponse<Res>) => Promise<unknown>,
): Promise<MessageShape<Res>> {
  const token = newId();
  for (;;) {
    if (await claim(em, key, hash, token, deadline)) break;
    const existing = await query<{ request_hash: string; response: Buffer | null }>(
      em,
      `select request_hash, response from idempotency_records where key = ?`,
      [key],
    );
    const row = existing[0];
    if (!row) continue;
    if (row.request_hash !== hash) {
      throw new AlreadyExistsError("REQUEST_ID_REUSED", "this request_id was already used for a different request");
    }
    if (row.response) {
      const response = fromBinary(call.responseSchema, row.response);
      await call.beforeReplay(response);
      return response;
    }
    if (signal.aborted) throw new InProgressError();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }

  let recorded: MessageShape<Res> | undefined;
  const step = (response: MessageShape<Res>): SqlStep => ({
    name: "recorded",
    sql: `recorded as (${RECORD})`,
    params: [Buffer.from(encodeOnce(call.responseSchema, response)), key, token],
    check(rows) {
      if (rows !== 1) throw new ClaimLostError();
      recorded = response;
    },
  });
  const record: RecordResponse<Res> = Object.assign(
    async (tx: EntityManager, response: MessageShape<Res>) => {
      const recording = step(response);
      recording.check((await query<unknown>(tx, RECORD, recording.params)).length);
    },
    { step },
  );
  try {
    await work(record);
    if (!recorded) throw new Error(`${key}: the work succeeded without recording its response`);
    return recorded;
  } catch (error) {
    await query(em, `delete from idempotency_records where key = ? and claim_token = ? and completed_at is null`, [key, token]);
    throw error;
  }
}

/**
 * The claim's commit does not wait for its WAL to reach the disk (synchronous_commit off, set in
 * RETURNING so that it holds for this statement's own transaction only): on this machine kind
 * that wait was most of a claim's time. Any later commit that waits (the work's own) flushes the
 * claim with it, so only a claim whose work has not committed can be lost in a crash, and that is
 * a lease run out early: a retry takes the request over at once, and the attempt that held it is
 * fenced by its token, as after a lapsed lease.
 */
async function claim(em: EntityManager, key: string, hash: string, token: string, deadline: number): Promise<boolean> {
  if (em.isInTransaction()) throw new Error("a claim commits on its own: it must not run inside the work's transaction");
  const claimed = await query<unknown>(
    em,
    `insert into idempotency_records (key, request_hash, created_at, claim_token, lease_until)
     values (?, ?, now(), ?, now() + make_interval(secs => ?))
     on conflict (key) do update
       set request_hash = excluded.request_hash, created_at = now(), claim_token = excluded.claim_token, lease_until = excluded.lease_until
       where idempotency_records.completed_at is null
         and coalesce(idempotency_records.lease_until, idempotency_records.created_at + interval '60 seconds') < now()
     returning key, set_config('synchronous_commit', 'off', true)`,
    [key, hash, token, leaseSeconds(deadline)],
  );
  return claimed.length === 1;
}
