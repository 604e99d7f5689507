import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { isClosedConnection, retryClosedOnce } = await importTs("app/lib/retry.ts");

// A server that closes the first `closeFirst` connections without answering, then answers 200.
let received = 0;
let closeFirst = 1;
const server = createServer((request, response) => {
  received += 1;
  request.resume();
  if (received <= closeFirst) {
    request.socket.destroy();
    return;
  }
  response.setHeader("Connection", "close");
  response.end("ok");
});
let url = "";

before(async () => {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${server.address().port}/`;
});
after(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  received = 0;
  closeFirst = 1;
});

const send = (method) => () =>
  fetch(url, { method, body: method === "GET" || method === "HEAD" ? undefined : "{}", cache: "no-store" });

for (const method of ["GET", "HEAD", "PUT"]) {
  test(`${method} is sent once more after a closed connection`, async () => {
    const retried = [];
    const response = await retryClosedOnce(method, send(method), (error) => retried.push(error));
    assert.equal(response.status, 200);
    assert.equal(received, 2);
    assert.equal(retried.length, 1);
    assert.equal(isClosedConnection(retried[0]), true);
  });
}

test("a GET is retried exactly once", async () => {
  closeFirst = 2;
  await assert.rejects(retryClosedOnce("GET", send("GET")), (error) => isClosedConnection(error));
  assert.equal(received, 2);
});

for (const method of ["POST", "PATCH", "DELETE"]) {
  test(`${method} is never sent twice`, async () => {
    await assert.rejects(retryClosedOnce(method, send(method)), (error) => isClosedConnection(error));
    assert.equal(received, 1);
  });
}

test("a POST with an idempotency key is sent once more after a closed connection", async () => {
  const response = await retryClosedOnce("POST", send("POST"), undefined, true);
  assert.equal(response.status, 200);
  assert.equal(received, 2);
});

test("other failures are not retried", async () => {
  let calls = 0;
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
  const failing = async () => {
    calls += 1;
    throw new TypeError("fetch failed", { cause: refused });
  };
  await assert.rejects(retryClosedOnce("GET", failing), { message: "fetch failed" });
  assert.equal(calls, 1);
  const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
  assert.equal(isClosedConnection(timeout), false);
});

test("closed connections are recognised through the error's causes", () => {
  const wrap = (cause) => new TypeError("fetch failed", { cause });
  assert.equal(
    isClosedConnection(wrap(Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }))),
    true,
  );
  assert.equal(isClosedConnection(wrap(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))), true);
  assert.equal(isClosedConnection(wrap(new Error("other side closed"))), true);
  assert.equal(isClosedConnection(wrap(new Error("getaddrinfo ENOTFOUND api"))), false);
  assert.equal(isClosedConnection("other side closed"), false);
});
