import { ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { DomainError } from "../../src/platform/errors/domain-errors.js";

/** The error a call must fail with; a call that succeeds fails the test. */
export const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail("expected an error"),
    (e) => ConnectError.from(e),
  );

/** The reason of the domain error `action` throws, or undefined if it throws none; other errors propagate. */
export function thrownReason(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof DomainError) return error.reason;
    throw error;
  }
  return undefined;
}

/** Whatever `action` throws; an action that throws nothing fails the test. */
export function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}

/** google.rpc.ErrorInfo.reason of an error, e.g. "VERSION_MISMATCH". */
export const reasonOf = (error: ConnectError) => error.findDetails(ErrorInfoSchema)[0]?.reason;
