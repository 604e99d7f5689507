import "server-only";

import { cookies, headers } from "next/headers";

import { clientAddressFrom, trustedProxyHops } from "./forwarded";
import { LANG_COOKIE } from "./i18n";

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

/** Remember the reader's language for a year (not a secret, but no script needs to read it). */
export async function saveLanguage(lang: string): Promise<void> {
  (await cookies()).set(LANG_COOKIE, lang, {
    httpOnly: true,
    sameSite: "lax",
    secure: await servedOverHttps(),
    path: "/",
    maxAge: 365 * 24 * 3600,
  });
}

export async function clearToken(): Promise<void> {
  (await cookies()).delete(COOKIE);
}

/**
 * The browser's address, forwarded to the API so its per-address login limit applies to it: the
 * connection's peer, or what the outermost of TRUSTED_PROXY_HOPS proxies saw (app/lib/forwarded.ts;
 * proxy.ts drops a client's own X-Forwarded-For first when no proxy is trusted).
 */
export async function clientAddress(): Promise<string | undefined> {
  return clientAddressFrom((await headers()).get("x-forwarded-for"), trustedProxyHops());
}

async function servedOverHttps(): Promise<boolean> {
  if (process.env.SESSION_COOKIE_SECURE) return process.env.SESSION_COOKIE_SECURE === "true";
  const proto = (await headers()).get("x-forwarded-proto");
  return proto?.split(",")[0]?.trim() === "https";
}

export const SESSION_COOKIE = COOKIE;
