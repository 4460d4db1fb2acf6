import { existsSync } from "node:fs";
import type * as http from "node:http";
import sirv from "sirv";

/**
 * The staff console's static files (src/console, built to CONSOLE_DIR) at /console. The page
 * holds a bearer token, so it allows no script, style or connection but its own origin's, and
 * no framing; the files are only the page: every call it makes is an RPC checked like any other.
 */
const HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

export type ConsoleHandler = (request: http.IncomingMessage, response: http.ServerResponse) => boolean;

/** A handler that serves the console and says true, or says false for any other path; undefined without built files. */
export function consoleFiles(dir: string): ConsoleHandler | undefined {
  if (!dir || !existsSync(dir)) return undefined;
  // Vite names assets by content hash, so they never change; the page itself is checked each time.
  const files = sirv(dir, {
    etag: true,
    setHeaders: (response, pathname) =>
      response.setHeader("cache-control", pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache"),
  });
  return (request, response) => {
    const url = request.url ?? "";
    if (url !== "/console" && !url.startsWith("/console/") && !url.startsWith("/console?")) return false;
    if (request.method !== "GET" && request.method !== "HEAD") return false;
    for (const [name, value] of Object.entries(HEADERS)) response.setHeader(name, value);
    if (url === "/console" || url.startsWith("/console?")) {
      response.writeHead(308, { location: `/console/${url.slice("/console".length)}` }).end();
      return true;
    }
    request.url = url.slice("/console".length);
    files(request, response, () => void response.writeHead(404, { "content-type": "text/plain" }).end("not found"));
    return true;
  };
}
