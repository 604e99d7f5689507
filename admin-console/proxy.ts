import { NextResponse, type NextRequest } from "next/server";

import { trustedProxyHops } from "./app/lib/forwarded";
import { PAGE_HEADER } from "./app/lib/next-path";

// Runs before every page and server action.
export function proxy(request: NextRequest) {
  // The page asked for (a server action posts to its page's address), without Next.js's own
  // query parameters, which it strips before this runs.
  const page = `${request.nextUrl.pathname}${request.nextUrl.search}`;
  // Visitors without a session go to the sign-in page before any page renders. Whether the
  // token is still good is for the API to say (a 401 there also leads back to /login, with the
  // same `next`: app/lib/api.ts reads the page from the header set below).
  if (request.nextUrl.pathname !== "/login" && !request.cookies.has("console_session")) {
    const url = request.nextUrl.clone();
    url.pathname = "/login";
    url.search = page === "/" ? "" : `?next=${encodeURIComponent(page)}`;
    return NextResponse.redirect(url);
  }
  const headers = new Headers(request.headers);
  headers.set(PAGE_HEADER, page); // replaces whatever the client sent under that name
  // With no proxy in front, an X-Forwarded-For here was written by the client. Without it,
  // Next.js fills in the connection's peer address before rendering (see app/lib/forwarded.ts),
  // and that is the address the sign-in action forwards to the API's per-address login limit.
  if (trustedProxyHops() === 0) headers.delete("x-forwarded-for");
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // /login too: signing in is a server action posted to it, and needs the header dropped.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|icon.svg).*)"],
};
