import { InvalidArgumentError } from "../../src/platform/errors/domain-errors.js";

/** The field violations a parser refuses with, as "field: description"; [] when it accepts. */
export function violationsOf(parse: () => unknown): string[] {
  try {
    parse();
    return [];
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations.map((v) => `${v.field}: ${v.description}`);
    throw error;
  }
}
