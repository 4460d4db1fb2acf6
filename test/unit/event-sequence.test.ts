import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SequenceTracker } from "../../packages/order-api/src/sequence.js";

describe("SequenceTracker (client package): one order's event stream by sequence", () => {
  it("applies 1, 2, 3 in turn from a fresh stream", () => {
    const stream = new SequenceTracker();
    expect([1n, 2n, 3n].map((s) => stream.next(s).kind)).toEqual(["apply", "apply", "apply"]);
    expect(stream.lastApplied).toBe(3n);
  });

  it("skips a repeat of an applied event, the last one or an older one", () => {
    const stream = new SequenceTracker(5);
    expect(stream.next(5n)).toEqual({ kind: "duplicate" });
    expect(stream.next(2n)).toEqual({ kind: "duplicate" });
    expect(stream.lastApplied).toBe(5n);
  });

  it("reports a gap with the missing sequences and does not move on", () => {
    const stream = new SequenceTracker(3n);
    expect(stream.next(7n)).toEqual({ kind: "gap", missing: { from: 4n, to: 6n } });
    expect(stream.lastApplied).toBe(3n);
    expect(stream.next(4n)).toEqual({ kind: "apply" });
  });

  it("goes on from a sequence after a gap was dealt with", () => {
    const stream = new SequenceTracker(3n);
    stream.resume(9n);
    expect(stream.next(10n)).toEqual({ kind: "apply" });
  });

  it("takes the ce_sequence header's decimal string as the payload's bigint", () => {
    const stream = new SequenceTracker("41");
    expect(stream.next("42")).toEqual({ kind: "apply" });
    expect(stream.next(42)).toEqual({ kind: "duplicate" });
  });

  it("refuses what is not a sequence", () => {
    expect(() => new SequenceTracker().next("4x")).toThrow(/decimal/);
    expect(() => new SequenceTracker().next(-1)).toThrow(/negative/);
    expect(() => new SequenceTracker().next(1.5)).toThrow(/integer/);
  });

  it("applies each event exactly once and in order, whatever repeats at-least-once delivery adds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(), { maxLength: 60 }), (length, repeats) => {
        // A redelivery repeats an already delivered run, as a relay does after a crash.
        const delivered: bigint[] = [];
        for (let s = 1; s <= length; s++) {
          delivered.push(BigInt(s));
          const back = repeats[s - 1];
          if (back !== undefined && back % 3 === 0) for (let r = Math.max(1, s - (back % 5)); r <= s; r++) delivered.push(BigInt(r));
        }
        const stream = new SequenceTracker();
        const applied = delivered.filter((s) => stream.next(s).kind === "apply");
        expect(applied).toEqual(Array.from({ length }, (_, i) => BigInt(i + 1)));
      }),
    );
  });
});
