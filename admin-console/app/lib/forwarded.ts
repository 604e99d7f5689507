// The browser's address from X-Forwarded-For, trusting only as many proxies as are configured.
// No imports: proxy.ts, session.ts and unit/forwarded.test.mjs all use it.
//
// How `next start` (Next.js 16) fills the header, from node_modules/next/dist/server/base-server.js:
// `req.headers["x-forwarded-for"] ??= socket.remoteAddress`. It neither appends nor overwrites: a
// value the client sent is kept as it came, and the connection's peer is only filled in when the
// header is missing. So with no proxy in front (TRUSTED_PROXY_HOPS=0) proxy.ts deletes the
// header before rendering, Next.js fills in the peer, and that single entry is the address. With
// N trusted proxies each appended the address it saw: the Nth entry from the right is the one
// the outermost proxy saw; anything further left was written by the client.

/** TRUSTED_PROXY_HOPS: how many proxies in front of the console append to X-Forwarded-For. */
export function trustedProxyHops(raw: string | undefined = process.env.TRUSTED_PROXY_HOPS): number {
  if (raw === undefined || raw.trim() === "") return 0;
  const hops = Number(raw);
  if (!Number.isInteger(hops) || hops < 0) {
    throw new Error(`TRUSTED_PROXY_HOPS must be a whole number, 0 or more; got ${JSON.stringify(raw)}`);
  }
  return hops;
}

/**
 * The client's address from the X-Forwarded-For that reached the page (after proxy.ts), or
 * undefined when it has fewer entries than trusted proxies (then the API counts the console's
 * own address instead: one shared budget, never one the client picks).
 */
export function clientAddressFrom(forwardedFor: string | null | undefined, hops: number): string | undefined {
  if (!forwardedFor) return undefined;
  const entries = forwardedFor.split(",").map((entry) => entry.trim());
  const fromRight = Math.max(hops, 1); // no proxy: the one entry Next.js filled in
  return entries.length < fromRight ? undefined : entries.at(-fromRight) || undefined;
}
