import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/platform/errors/domain-errors.js";
import { isUserId, REQUEST_ID, RESOURCE_ID, USER_ID, UUID, Violations } from "../../src/platform/validation.js";
import { violationsOf } from "./violations.js";

const text = (value: string, rule: Parameters<Violations["text"]>[2]) => {
  const v = new Violations();
  const result = v.text("f", value, rule);
  return { result, problems: violationsOf(() => v.throwIfAny()) };
};

describe("Violations.text", () => {
  it("when text has spaces around it, then they are trimmed before it is measured", () => {
    expect(text("  ab  ", { min: 2, max: 2 })).toEqual({ result: "ab", problems: [] });
  });

  it.each([
    ["", { min: 1, max: 5 }, "f: is required"],
    ["a", { min: 2, max: 5 }, "f: must be at least 2 characters"],
    ["abcdef", { min: 1, max: 5 }, "f: must be at most 5 characters"],
    ["a\u0000b", { max: 5 }, "f: must not contain NUL characters"],
    ["ab!", { max: 5, pattern: /^[a-z]+$/ }, "f: must match ^[a-z]+$"],
    ["ab!", { max: 5, pattern: /^[a-z]+$/, hint: "letters only" }, "f: letters only"],
  ])("when %j breaks %j, then %s", (value, rule, problem) => {
    expect(text(value, rule).problems).toEqual([problem]);
  });

  it.each([
    ["", { max: 5 }],
    ["abcde", { min: 5, max: 5 }],
    ["", { max: 5, pattern: /^[a-z]+$/ }],
  ])("when %j meets %j, then it passes (an empty optional value skips the pattern)", (value, rule) => {
    expect(text(value, rule).problems).toEqual([]);
  });

  it("when several things are wrong, then all are reported in one error, in order", () => {
    const v = new Violations();
    v.add("a", "one");
    expect(v.check(false, "b", "two")).toBe(false);
    expect(v.check(true, "c", "three")).toBe(true);
    expect(() => v.throwIfAny()).toThrow(InvalidArgumentError);
    expect(violationsOf(() => v.throwIfAny())).toEqual(["a: one", "b: two"]);
    expect(violationsOf(() => new Violations().throwIfAny())).toEqual([]);
  });
});

describe("Violations.timestamp", () => {
  const stamp = (seconds: bigint, nanos = 0) => {
    const v = new Violations();
    return { date: v.timestamp("t", { seconds, nanos } as never), problems: violationsOf(() => v.throwIfAny()) };
  };
  const refusal = ["t: must be a time between 0001-01-01 and 9999-12-31 with nanos 0 to 999999999"];

  it("when a timestamp is within 0001-01-01 and 9999-12-31, then it becomes a Date", () => {
    expect(stamp(0n, 5_000_000).date?.toISOString()).toBe("1970-01-01T00:00:00.005Z");
    expect(stamp(-62_135_596_800n).problems).toEqual([]);
    expect(stamp(253_402_300_799n, 999_999_999).problems).toEqual([]);
  });

  it.each([
    [-62_135_596_801n, 0],
    [253_402_300_800n, 0],
    [0n, -1],
    [0n, 1_000_000_000],
  ])("when seconds %s and nanos %i are out of range, then it is refused", (seconds, nanos) => {
    expect(stamp(seconds, nanos)).toEqual({ date: undefined, problems: refusal });
  });

  it("when no timestamp is given, then nothing is checked", () => {
    const v = new Violations();
    expect(v.timestamp("t", undefined)).toBeUndefined();
    expect(violationsOf(() => v.throwIfAny())).toEqual([]);
  });
});

describe("the id rules", () => {
  const matches = (rule: { pattern: RegExp }, value: string) => rule.pattern.test(value);

  it.each(["a", "ann", "ann@example.com", "a.b:c_d-e", "A9", "x".repeat(128)])("when a user id is %j, then it is one", (id) => {
    expect(isUserId(id)).toBe(true);
  });

  it.each(["", "ann example", "ann|x", "ann/x", "x".repeat(129), "é"])("when a user id is %j, then it is not", (id) => {
    expect(isUserId(id)).toBe(false);
  });

  it("when request and resource ids are checked, then letters, digits and . _ : - pass and the rest does not", () => {
    for (const rule of [REQUEST_ID, RESOURCE_ID]) {
      expect(matches(rule, "req-1.a_b:c")).toBe(true);
      expect(matches(rule, "a b")).toBe(false);
      expect(matches(rule, "a@b")).toBe(false);
      expect(matches(rule, "x!")).toBe(false);
      expect(matches(rule, "!x")).toBe(false);
      expect(rule).toMatchObject({ min: 1, max: 128, hint: "must be 1-128 letters, digits, or . _ : -" });
    }
    expect(USER_ID).toMatchObject({ min: 1, max: 128, hint: "must be 1-128 letters, digits, or . _ : @ -" });
    expect(matches(USER_ID, "x!")).toBe(false);
    expect(matches(USER_ID, "!x")).toBe(false);
  });

  it.each([
    ["0b9d2c53-4d5e-4f8a-9b1c-2d3e4f5a6b7c", true],
    ["0B9D2C53-4D5E-4F8A-9B1C-2D3E4F5A6B7C", true],
    ["0b9d2c534d5e4f8a9b1c2d3e4f5a6b7c", false],
    ["0b9d2c53-4d5e-4f8a-9b1c-2d3e4f5a6b7", false],
    ["0b9d2c53-4d5e-4f8a-9b1c-2d3e4f5a6b7cc", false],
    ["x0b9d2c53-4d5e-4f8a-9b1c-2d3e4f5a6b7c", false],
    ["0b9d2c5-4d5e-4f8a-9b1c-2d3e4f5a6b7c", false],
    ["0b9d2c53-4d5-4f8a-9b1c-2d3e4f5a6b7c", false],
    ["0b9d2c53-4d5e-4f8-9b1c-2d3e4f5a6b7c", false],
    ["0b9d2c53-4d5e-4f8a-9b1-2d3e4f5a6b7c", false],
    ["gb9d2c53-4d5e-4f8a-9b1c-2d3e4f5a6b7c", false],
    ["0b9d2c53-gd5e-4f8a-9b1c-2d3e4f5a6b7c", false],
    ["0b9d2c53-4d5e-gf8a-9b1c-2d3e4f5a6b7c", false],
    ["0b9d2c53-4d5e-4f8a-gb1c-2d3e4f5a6b7c", false],
    ["0b9d2c53-4d5e-4f8a-9b1c-gd3e4f5a6b7c", false],
  ])("when %s is checked as a UUID, then %s", (value, ok) => {
    expect(matches(UUID, value)).toBe(ok);
    expect(UUID).toMatchObject({ min: 1, max: 36, hint: "must be a UUID" });
  });
});
