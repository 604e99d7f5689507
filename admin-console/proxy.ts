import { NextResponse, type NextRequest } from "next/server";

// Send visitors without a session to the sign-in page before any page renders. Whether the
// token is still good is for the API to say (a 401 there also leads back to /login).
export function proxy(request: NextRequest) {
  if (request.cookies.has("console_session")) return NextResponse.next();
  const url = request.nextUrl.clone();
  const next = `${request.nextUrl.pathname}${request.nextUrl.search}`;
  url.pathname = "/login";
  url.search = next === "/" ? "" : `?next=${encodeURIComponent(next)}`;
  return NextResponse.redirect(url);
}

export const config = {
  matcher: ["/((?!login|_next/static|_next/image|favicon.ico|icon.svg).*)"],
};
