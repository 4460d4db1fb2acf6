import { ConfigError, loadConfig } from "../../src/config.js";

/** What start-up would refuse the environment for, one line per problem; none when it would start. */
export function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
