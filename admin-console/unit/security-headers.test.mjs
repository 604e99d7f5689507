import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { default: config } = await importTs("next.config.ts");

test("every page of the console refuses to be framed and to be sniffed", async () => {
  const rules = await config.headers();
  const all = rules.find((rule) => rule.source === "/:path*");
  assert.ok(all, "a rule for every path");
  const headers = Object.fromEntries(all.headers.map(({ key, value }) => [key.toLowerCase(), value]));
  assert.equal(headers["x-frame-options"], "DENY");
  assert.equal(headers["content-security-policy"], "frame-ancestors 'none'");
  assert.equal(headers["x-content-type-options"], "nosniff");
});
