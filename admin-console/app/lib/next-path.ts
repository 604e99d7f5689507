// Where to send a browser after it signs in: a path of the console, never another site.
// No imports, so unit/next-path.test.mjs can load it with plain Node.

// Any origin of our own does: the question is only whether `next` leaves it. A made-up one keeps
// the answer independent of the Host header, which the client writes.
const BASE = "http://console.invalid";

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
