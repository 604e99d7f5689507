import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { problemsOf, REASONS } = await importTs("app/lib/problems.ts");
const { default: en } = await importTs("app/messages/en.ts");
const { default: es } = await importTs("app/messages/es.ts");

test("the API's field errors become the messages that explain them", () => {
  const invalid = (fields) => problemsOf({ message: `invalid fields: ${Object.keys(fields).join(", ")}`, fields });
  assert.deepEqual(invalid({ ends_at: "must be after starts_at" }), [{ key: "endBeforeStart" }]);
  assert.deepEqual(invalid({ ends_at: "a block may last at most 366 days" }), [{ key: "blockTooLong" }]);
  assert.deepEqual(invalid({ reason: "must be text of at most 200 characters" }), [{ key: "reasonTooLong" }]);
  assert.deepEqual(invalid({ starts_at: "must be an ISO 8601 date and time with its UTC offset" }), [{ key: "when" }]);
  assert.deepEqual(
    invalid({ customer_name: "must be 1 to 100 characters", customer_phone: "must be a phone number" }),
    [{ key: "customerName" }, { key: "customerPhone" }],
  );
  assert.deepEqual(invalid({ service: "No such service." }), [{ key: "service" }]);
});

test("a field the console does not know keeps the API's words behind a generic message", () => {
  assert.deepEqual(problemsOf({ message: "invalid fields: notify", fields: { notify: "must be true or false" } }), [
    { key: "unknown", detail: "notify: must be true or false" },
  ]);
});

test("a refusal is said by its reason code, an unknown code with the API's words", () => {
  const refusal = (reason) => ({ reason, alternatives: [] });
  assert.deepEqual(problemsOf({ message: "That time is fully booked.", refusal: refusal("full") }), [
    { key: "reasons.full" },
  ]);
  assert.deepEqual(problemsOf({ message: "Closed for lunch.", refusal: refusal("lunch") }), [
    { key: "refused", detail: "Closed for lunch." },
  ]);
});

test("the console's own messages are shown as they are", () => {
  assert.deepEqual(problemsOf({ message: "Your role does not allow this." }), [
    { text: "Your role does not allow this." },
  ]);
});

test("every problem and reason has its words in English and Spanish", () => {
  const keys = ["endBeforeStart", "blockTooLong", "reasonTooLong", "when", "customerName", "customerPhone"];
  for (const messages of [en, es]) {
    for (const key of [...keys, "service", "unknown", "refused"]) assert.equal(typeof messages.problems[key], "string");
    for (const reason of REASONS) assert.equal(typeof messages.problems.reasons[reason], "string", reason);
    assert.deepEqual(Object.keys(messages.problems.reasons).sort(), [...REASONS].sort());
  }
});
