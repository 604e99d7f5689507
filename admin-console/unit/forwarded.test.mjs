import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { clientAddressFrom, trustedProxyHops } = await importTs("app/lib/forwarded.ts");

test("TRUSTED_PROXY_HOPS is a whole number, 0 when unset", () => {
  assert.equal(trustedProxyHops(undefined), 0);
  assert.equal(trustedProxyHops(""), 0);
  assert.equal(trustedProxyHops("0"), 0);
  assert.equal(trustedProxyHops("2"), 2);
  for (const raw of ["-1", "1.5", "one", "0x"]) {
    assert.throws(() => trustedProxyHops(raw), {
      message: `TRUSTED_PROXY_HOPS must be a whole number, 0 or more; got ${JSON.stringify(raw)}`,
    });
  }
});

test("without proxies the one entry Next.js filled in is the address", () => {
  assert.equal(clientAddressFrom("127.0.0.1", 0), "127.0.0.1");
  assert.equal(clientAddressFrom(" ::1 ", 0), "::1");
  assert.equal(clientAddressFrom(null, 0), undefined);
  assert.equal(clientAddressFrom("", 0), undefined);
});

test("behind N proxies the Nth entry from the right counts", () => {
  const header = "203.0.113.7, 198.51.100.2, 10.0.0.5";
  assert.equal(clientAddressFrom(header, 1), "10.0.0.5");
  assert.equal(clientAddressFrom(header, 2), "198.51.100.2");
  assert.equal(clientAddressFrom(header, 3), "203.0.113.7");
  assert.equal(clientAddressFrom(header, 4), undefined); // fewer entries than proxies
  assert.equal(clientAddressFrom("203.0.113.7, ", 1), undefined);
});
