// Where to send a browser after it signs in: a path of the console, never another site.
// No imports, so unit/next-path.test.mjs can load it with plain Node.

// Any origin of our own does: the question is only whether `next` leaves it. A made-up one keeps
// the answer independent of the Host header, which the client writes.
const BASE = "http://console.invalid";

/** The request header `proxy.ts` sets to the page's path and query (never the client's own), so
 * the server can send a browser whose session the API no longer knows back there after signing in. */
export const PAGE_HEADER = "x-console-page";

/** The sign-in page's address for a browser whose session ended on the console page `page`. */
export function expiredLogin(page: unknown): string {
  const next = safeNext(page);
  const back = next !== "/" && !/^\/login(?:[/?#]|$)/.test(next);
  return back ? `/login?expired=1&next=${encodeURIComponent(next)}` : "/login?expired=1";
}

/**
 * `value` as a path+search+hash of this console, or "/" when it is anything else.
 *
 * The URL parser decides, as the browser will: it reads `\` as `/`, drops tabs and newlines and
 * leading spaces, so "/\evil.example" and "/\t/evil.example" both mean another host. A path that
 * resolves to "//…" (e.g. "/.//evil.example") would too once sent back as a Location.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== "string" || value === "") return "/";
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith("//") ? "/" : path;
}
