import assert from "node:assert/strict";
import { test } from "node:test";

import { createTranslator } from "use-intl/core";

import { importTs } from "./import-ts.mjs";

const { failureOf, fieldKey, problemsOf, REASONS, sayProblem, UNREACHABLE } = await importTs("app/lib/problems.ts");
const { default: en } = await importTs("app/messages/en.ts");
const { default: es } = await importTs("app/messages/es.ts");

/** The problems in one language's words, as the console's forms show them. */
function say(messages, lang, problems) {
  const t = createTranslator({ locale: lang, messages, namespace: "problems" });
  return problems.map((p) => sayProblem(p, t)).join(" ");
}

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

test("an admin API out of reach is said in the reader's language, not in the console's English", () => {
  // What app/lib/api.ts throws when the fetch fails, as a server action hands it to the form.
  const unreachable = {
    message: "the admin API cannot be reached",
    refusal: { reason: UNREACHABLE, alternatives: [] },
  };
  assert.equal(UNREACHABLE, "api_unreachable");
  assert.deepEqual(failureOf(unreachable), { key: "reasons.api_unreachable" });
  assert.deepEqual(problemsOf(unreachable), [{ key: "reasons.api_unreachable" }]);
  assert.equal(
    say(es, "es", [failureOf(unreachable)]),
    "No se puede conectar con la API de administración. Vuelve a intentarlo en un momento.",
  );
  assert.equal(
    say(es, "es", problemsOf(unreachable)),
    "No se puede conectar con la API de administración. Vuelve a intentarlo en un momento.",
  );
  assert.equal(say(en, "en", [failureOf(unreachable)]), "The admin API cannot be reached. Try again in a moment.");
});

test("reminder offsets the API refuses are explained in the reader's language", () => {
  // The settings PATCH answer for "24h, 5m" (app/admin/fields.py reminder_offsets).
  const text = "must be 1 to 5 different integers from 15 to 10080 (minutes before the appointment)";
  const refused = { message: "invalid fields: reminder_offsets_minutes", fields: { reminder_offsets_minutes: text } };
  assert.equal(fieldKey("reminder_offsets_minutes", text), "reminderOffsets");
  assert.deepEqual(problemsOf(refused), [{ key: "reminderOffsets" }]);
  assert.equal(
    say(es, "es", problemsOf(refused)),
    "Escribe de 1 a 5 momentos distintos, entre 15 minutos y 7 días antes de la cita, p. ej. 24h, 2h o 90m.",
  );
  assert.equal(
    say(en, "en", problemsOf(refused)),
    "Write 1 to 5 different times from 15 minutes to 7 days before the appointment, e.g. 24h, 2h or 90m.",
  );
});

test("a failure without a reason keeps its words; an unknown reason is refused in the reader's words", () => {
  assert.deepEqual(failureOf({ message: "Your role does not allow this." }), {
    text: "Your role does not allow this.",
  });
  // Fields are drawn next to their inputs: the one message is the outcome's own.
  assert.deepEqual(failureOf({ message: "invalid fields: name", fields: { name: "must be 1 to 200 characters" } }), {
    text: "invalid fields: name",
  });
  const lunch = { message: "Closed for lunch.", refusal: { reason: "lunch", alternatives: [] } };
  assert.equal(say(es, "es", [failureOf(lunch)]), "Rechazado: Closed for lunch.");
  assert.equal(fieldKey("name", "must be 1 to 200 characters"), undefined);
});

test("the new reasons and messages have their words in English and Spanish", () => {
  assert.ok(REASONS.includes("api_unreachable"));
  for (const messages of [en, es]) {
    assert.equal(typeof messages.problems.reasons.api_unreachable, "string");
    assert.equal(typeof messages.problems.reminderOffsets, "string");
  }
  assert.notEqual(es.problems.reasons.api_unreachable, en.problems.reasons.api_unreachable);
  assert.notEqual(es.problems.reminderOffsets, en.problems.reminderOffsets);
});

test("every problem and reason has its words in English and Spanish", () => {
  const keys = ["endBeforeStart", "blockTooLong", "reasonTooLong", "when", "customerName", "customerPhone"];
  for (const messages of [en, es]) {
    for (const key of [...keys, "service", "reminderOffsets", "unknown", "refused"]) {
      assert.equal(typeof messages.problems[key], "string", key);
    }
    for (const reason of REASONS) assert.equal(typeof messages.problems.reasons[reason], "string", reason);
    assert.deepEqual(Object.keys(messages.problems.reasons).sort(), [...REASONS].sort());
  }
});
