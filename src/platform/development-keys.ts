import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A random key a development instance keeps in its data directory when none is configured (so a
 * restart, and `npm run token`, use the same one). Production refuses to start without its keys
 * configured (config.ts), so these never sign or hash anything there.
 */
export function developmentKey(dataDir: string, name: string): { key: Uint8Array; path: string; created: boolean } {
  const path = join(dataDir, name);
  const created = !existsSync(path);
  if (created) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600 });
  }
  return { key: new TextEncoder().encode(readFileSync(path, "utf8").trim()), path, created };
}
