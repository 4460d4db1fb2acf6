import { describe, expect, it } from "vitest";
import { numberPlaceholders } from "../../src/db/sql.js";

describe("placeholders bound by PostgreSQL", () => {
  it("numbers each ? in order, and leaves a ? inside a string literal or a quoted identifier alone", () => {
    expect(numberPlaceholders(`select '?', "a?b", x from t where a = ? and b = 'it''s ?' and c in (?, ?)`)).toBe(
      `select '?', "a?b", x from t where a = $1 and b = 'it''s ?' and c in ($2, $3)`,
    );
  });

  it("gives the same text for the same statement (it is cached) and a statement without values unchanged", () => {
    const sql = "update carts set version = version + 1 where user_id = ?";
    expect(numberPlaceholders(sql)).toBe(numberPlaceholders(sql));
    expect(numberPlaceholders("select 1")).toBe("select 1");
  });
});
