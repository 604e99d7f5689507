import { NextResponse, type NextRequest } from "next/server";

import { trustedProxyHops } from "./app/lib/forwarded";

// Runs before every page and server action.
export function proxy(request: NextRequest) {
  // Visitors without a session go to the sign-in page before any page renders. Whether the
  // token is still good is for the API to say (a 401 there also leads back to /login).
  if (request.nextUrl.pathname !== "/login" && !request.cookies.has("console_session")) {
    const url = request.nextUrl.clone();
    const next = `${request.nextUrl.pathname}${request.nextUrl.search}`;
    url.pathname = "/login";
    url.search = next === "/" ? "" : `?next=${encodeURIComponent(next)}`;
    return NextResponse.redirect(url);
  }
  if (trustedProxyHops() > 0) return NextResponse.next();
  // No proxy in front: an X-Forwarded-For here was written by the client. Without it, Next.js
  // fills in the connection's peer address before rendering (see app/lib/forwarded.ts), and
  // that is the address the sign-in action forwards to the API's per-address login limit.
  const headers = new Headers(request.headers);
  headers.delete("x-forwarded-for");
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // /login too: signing in is a server action posted to it, and needs the header dropped.
  matcher: ["/((?!_next/static|_next/image|favicon.ico|icon.svg).*)"],
};
