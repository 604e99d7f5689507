import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { safeNext } = await importTs("app/lib/next-path.ts");

test("paths of the console are kept, normalised by the URL parser", () => {
  const cases = [
    ["/businesses/1?x=1#y", "/businesses/1?x=1#y"],
    ["/", "/"],
    ["/users", "/users"],
    ["/businesses/2/conversations?q=ana%20b", "/businesses/2/conversations?q=ana%20b"],
    ["/a/../users", "/users"],
    ["/%5Cevil.example/", "/%5Cevil.example/"], // still encoded: a path segment, not a host
    ["/%09/evil.example/", "/%09/evil.example/"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
  ];
  for (const [value, expected] of cases) assert.equal(safeNext(value), expected, JSON.stringify(value));
});

test("anything that leaves the console becomes /", () => {
  const payloads = [
    "//evil.example",
    "//evil.example/path",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example/",
    "\t//evil.example",
    " //evil.example",
    "/.//evil.example",
    "/..//evil.example",
    "/a/..//evil.example",
    "https://evil.example",
    "http://evil.example/businesses",
    "HTTPS://evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://[::1",
    "",
  ];
  for (const value of payloads) assert.equal(safeNext(value), "/", JSON.stringify(value));
});

test("what is not a string becomes /", () => {
  for (const value of [null, undefined, 42, { toString: () => "//evil.example" }]) {
    assert.equal(safeNext(value), "/");
  }
});

test("an ended session signs in again and comes back to its page of the console", async () => {
  const { expiredLogin } = await importTs("app/lib/next-path.ts");
  assert.equal(
    expiredLogin("/businesses/1/appointments?view=week&date=2026-12-22"),
    "/login?expired=1&next=%2Fbusinesses%2F1%2Fappointments%3Fview%3Dweek%26date%3D2026-12-22",
  );
  for (const page of [null, "", "/", "//evil.example/", "https://evil.example/", "/login?next=%2Fusers"]) {
    assert.equal(expiredLogin(page), "/login?expired=1", JSON.stringify(page));
  }
});
