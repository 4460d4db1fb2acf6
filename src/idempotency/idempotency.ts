import { createHash } from "node:crypto";
import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { EntityManager } from "@mikro-orm/postgresql";
import { AlreadyExistsError, DomainError } from "../platform/domain-errors.js";

/** A claim older than this belongs to a process that died mid-request; another may take it. */
const ABANDONED_AFTER_MS = 60_000;
const POLL_MS = 25;

export interface IdempotentCall<Req extends DescMessage, Res extends DescMessage> {
  /** "<rpc>:<caller>:<request id>". */
  readonly key: string;
  readonly requestSchema: Req;
  readonly request: MessageShape<Req>;
  readonly responseSchema: Res;
}

/** Call inside the work's own transaction, so the response is stored exactly when the work commits. */
export type RecordResponse<Res extends DescMessage> = (tx: EntityManager, response: MessageShape<Res>) => Promise<void>;

export class InProgressError extends DomainError {
  constructor() {
    super("aborted", "REQUEST_IN_PROGRESS", "a request with this request_id is still being processed; retry shortly");
  }
}

function hashOf<Req extends DescMessage>(schema: Req, request: MessageShape<Req>): string {
  return createHash("sha256").update(toBinary(schema, request)).digest("hex");
}

/**
 * Runs `work` once per key. A retry with the same request gets the first response; the same key
 * with a different request is ALREADY_EXISTS; a duplicate arriving while the first still runs
 * waits for it (until the caller's deadline). Failures are not remembered: the request id can be
 * retried after an error. The answer is the response `work` recorded in its transaction, so it
 * is built once and is exactly what a retry will get.
 */
export async function idempotent<Req extends DescMessage, Res extends DescMessage>(
  em: EntityManager,
  call: IdempotentCall<Req, Res>,
  signal: AbortSignal,
  work: (record: RecordResponse<Res>) => Promise<unknown>,
): Promise<MessageShape<Res>> {
  const hash = hashOf(call.requestSchema, call.request);
  for (;;) {
    if (await claim(em, call.key, hash)) break;
    const existing = await em.execute<{ request_hash: string; response: Buffer | null }[]>(
      `select request_hash, response from idempotency_records where key = ?`,
      [call.key],
    );
    const row = existing[0];
    if (!row) continue;
    if (row.request_hash !== hash) {
      throw new AlreadyExistsError("REQUEST_ID_REUSED", "this request_id was already used for a different request");
    }
    if (row.response) return fromBinary(call.responseSchema, row.response);
    if (signal.aborted) throw new InProgressError();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }

  let recorded: MessageShape<Res> | undefined;
  const record: RecordResponse<Res> = async (tx, response) => {
    await tx.execute(`update idempotency_records set response = ?, completed_at = now() where key = ?`, [
      Buffer.from(toBinary(call.responseSchema, response)),
      call.key,
    ]);
    recorded = response;
  };
  try {
    await work(record);
    if (!recorded) throw new Error(`${call.key}: the work succeeded without recording its response`);
    return recorded;
  } catch (error) {
    await em.execute(`delete from idempotency_records where key = ? and completed_at is null`, [call.key]);
    throw error;
  }
}

async function claim(em: EntityManager, key: string, hash: string): Promise<boolean> {
  const claimed = await em.execute<unknown[]>(
    `insert into idempotency_records (key, request_hash, created_at) values (?, ?, now())
     on conflict (key) do update set request_hash = excluded.request_hash, created_at = now()
       where idempotency_records.completed_at is null
         and idempotency_records.created_at < now() - make_interval(secs => ?)
     returning key`,
    [key, hash, ABANDONED_AFTER_MS / 1000],
  );
  return claimed.length === 1;
}
