import "server-only";

import { cookies, headers } from "next/headers";

// The admin API token lives only in this HttpOnly cookie: client JavaScript never sees it.
const COOKIE = "console_session";

/** The bearer token of the signed-in user, if any. */
export async function readToken(): Promise<string | undefined> {
  return (await cookies()).get(COOKIE)?.value || undefined;
}

/** Store the token until it expires (Secure whenever the console is served over https). */
export async function saveToken(token: string, expiresAt: string): Promise<void> {
  const expires = new Date(expiresAt);
  (await cookies()).set(COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: await servedOverHttps(),
    path: "/",
    expires: Number.isNaN(expires.getTime()) ? undefined : expires,
  });
}

export async function clearToken(): Promise<void> {
  (await cookies()).delete(COOKIE);
}

/**
 * The browser's address, forwarded to the API so its per-address login limit applies to it.
 * The last X-Forwarded-For entry is the one our own proxy (or Next.js, from the socket) added;
 * earlier entries come from the client and could be made up.
 */
export async function clientAddress(): Promise<string | undefined> {
  const forwarded = (await headers()).get("x-forwarded-for");
  return forwarded?.split(",").at(-1)?.trim() || undefined;
}

async function servedOverHttps(): Promise<boolean> {
  if (process.env.SESSION_COOKIE_SECURE) return process.env.SESSION_COOKIE_SECURE === "true";
  const proto = (await headers()).get("x-forwarded-proto");
  return proto?.split(",")[0]?.trim() === "https";
}

export const SESSION_COOKIE = COOKIE;
