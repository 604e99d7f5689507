import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { loggedPath } = await importTs("app/lib/log-path.ts");

test("a logged API path keeps its ids and loses a query that may name a customer", () => {
  assert.equal(
    loggedPath("/businesses/3/conversations?page=1&per_page=20&q=%2B34600111222"),
    "/businesses/3/conversations?…",
  );
  assert.equal(loggedPath("/businesses/3/prompt-preview?customer_name=Ana+Rosa"), "/businesses/3/prompt-preview?…");
  assert.equal(loggedPath("/businesses/3/conversations/41"), "/businesses/3/conversations/41");
  assert.equal(loggedPath("/auth/login"), "/auth/login");
});
