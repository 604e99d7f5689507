import assert from "node:assert/strict";
import { test } from "node:test";

import { createTranslator } from "use-intl/core";

import { importTs } from "./import-ts.mjs";

const { FIELD_PROBLEMS, failureOf, fieldKey, problemsOf, reasonKey, REASONS, sayProblem, UNREACHABLE } =
  await importTs("app/lib/problems.ts");
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
  assert.equal(fieldKey("notify", "must be true or false"), undefined);
});

test("the API's words without a reason are refused in the reader's words, never shown bare", () => {
  // As app/lib/actions.ts hands on an API error that has no `reason` (a 409, a 400's message).
  const conflict = { message: "you cannot delete yourself", fromApi: true };
  assert.deepEqual(failureOf(conflict), { key: "refused", detail: "you cannot delete yourself" });
  assert.deepEqual(problemsOf(conflict), [{ key: "refused", detail: "you cannot delete yourself" }]);
  assert.equal(say(es, "es", [failureOf(conflict)]), "Rechazado: you cannot delete yourself");
  assert.equal(say(en, "en", [failureOf(conflict)]), "Refused: you cannot delete yourself");
  // A known reason still wins over the words.
  const member = { message: "this user already belongs to the business", fromApi: true };
  assert.equal(
    say(es, "es", [failureOf({ ...member, refusal: { reason: "already_member", alternatives: [] } })]),
    "Esta persona ya es miembro de este negocio.",
  );
});

test("a reason code has its message, if the console knows it", () => {
  assert.equal(reasonKey("beyond_horizon"), "reasons.beyond_horizon");
  assert.equal(reasonKey("past"), "reasons.past");
  assert.equal(reasonKey("invalid"), undefined);
});

test("a new member's fields the API refuses are explained in the reader's words", () => {
  // [the field's path, the API's words (app/admin/people.py), the message]
  const cases = [
    ["email", "must be an email address", "email"],
    ["email", "a user with this email exists already", "emailTaken"],
    ["name", "must be a string of at most 200 characters", "memberName"],
  ];
  for (const [path, text, key] of cases) assert.equal(fieldKey(path, text), key, `${path}: ${text}`);
  // A business's name is still the settings' field.
  assert.equal(fieldKey("name", "must be 1 to 200 characters"), "businessName");
  const t = createTranslator({ locale: "es", messages: es, namespace: "problems" });
  assert.equal(
    t(fieldKey("email", "must be an email address")),
    "Escribe una dirección de correo electrónico, p. ej. ana@example.com.",
  );
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
  for (const messages of [en, es]) {
    for (const key of [...FIELD_PROBLEMS, "unknown", "refused"]) {
      assert.equal(typeof messages.problems[key], "string", key);
    }
    for (const reason of REASONS) assert.equal(typeof messages.problems.reasons[reason], "string", reason);
    assert.deepEqual(Object.keys(messages.problems.reasons).sort(), [...REASONS].sort());
    const own = Object.keys(messages.problems).filter((k) => !["unknown", "refused", "reasons"].includes(k));
    assert.deepEqual(own.sort(), [...FIELD_PROBLEMS].sort());
  }
});

// The reason codes the admin API gives besides the booking rules' (app/admin/businesses.py,
// conversations.py and knowledge.py, app/handoff.py, app/knowledge/), each with a message.
const API_REASONS = {
  number_taken: "Otro negocio ya usa este número de WhatsApp.",
  page_taken: "Otro negocio ya usa esta página de Facebook.",
  no_channel: "Este cliente no tiene WhatsApp ni Messenger por donde escribirle (es un cliente sin cita previa).",
  customer_erased: /^Los datos de este cliente se borraron a petición suya/,
  never_wrote: "Este cliente nunca ha escrito por este canal, así que ninguna respuesta le puede llegar.",
  no_reply_template: /^El cliente escribió por última vez hace más de 24 horas: WhatsApp solo permite texto libre/,
  template_too_long: /con la plantilla de respuesta, que admite como máximo 1024 caracteres/,
  window_closed: /^El cliente escribió por última vez hace más de 7 días: Messenger solo permite/,
  reply_empty: "Escribe primero una respuesta.",
  reply_too_long: /^La respuesta es más larga de lo que permite el canal del cliente/,
  bad_url: /^Eso no es una dirección web/,
  not_http: "Solo se pueden importar direcciones http:// y https://.",
  url_credentials: "La dirección no debe contener un usuario ni una contraseña.",
  private_address: "Esa dirección está en este servidor o en una red privada, que la importación no puede leer.",
  unknown_host: "No hay ninguna web con ese nombre: revisa la dirección.",
  port_not_allowed: /^Solo se pueden importar webs en los puertos habituales \(80 y 443\)/,
  site_unreachable: "Ahora no se puede conectar con la web: revisa la dirección o vuelve a intentarlo más tarde.",
  site_too_slow: "La web tardó demasiado en responder. Vuelve a intentarlo más tarde.",
  tls_failed: /^Falló la conexión segura \(HTTPS\) con la web/,
  robots_unreadable: /^No se pudo leer el robots\.txt de la web/,
  robots_disallowed: "El robots.txt de la web no permite importar esa página.",
  other_site: "Esa dirección lleva a otra web: importa la dirección de esa web.",
  too_many_redirects: /^Esa dirección redirige demasiadas veces/,
  http_error: /^La web respondió con un error en lugar de la página/,
  not_a_page: "Esa dirección no es una página web (p. ej., una imagen o un PDF).",
  page_too_large: "Esa página es demasiado grande para importarla.",
  page_unreadable: "No se pudo leer esa página: puede que su contenido esté mal formado.",
  site_unreadable: "No se pudo leer ninguna página de la web.",
  idempotency_key_reused: "Esta cita se envió con la clave de otra reserva. Recarga la página y vuelve a reservar.",
};

test("every refusal of the settings, a staff reply and the website import is said by its reason", () => {
  for (const [reason, spanish] of Object.entries(API_REASONS)) {
    // As a server action hands the API's 409, 422 or 400 to the form (app/lib/actions.ts).
    const refused = { message: "the API's English", refusal: { reason, alternatives: [] } };
    assert.ok(REASONS.includes(reason), reason);
    assert.deepEqual(failureOf(refused), { key: `reasons.${reason}` }, reason);
    assert.deepEqual(problemsOf({ ...refused, fields: { text: "x" } }), [{ key: `reasons.${reason}` }], reason);
    const words = { en: say(en, "en", [failureOf(refused)]), es: say(es, "es", [failureOf(refused)]) };
    if (typeof spanish === "string") assert.equal(words.es, spanish);
    else assert.match(words.es, spanish);
    assert.notEqual(words.es, words.en, reason);
    assert.doesNotMatch(words.en + words.es, /[{}]|English/, reason);
  }
  const taken = { message: "another business already uses this whatsapp_number_id" };
  assert.equal(
    say(en, "en", [failureOf({ ...taken, refusal: { reason: "number_taken", alternatives: [] } })]),
    "Another business already uses this WhatsApp number.",
  );
});

test("a settings field's error is explained in the reader's words, list items and weekdays included", () => {
  // [the field's path, the API's words (app/admin/fields.py, validation.py, schedule.py), the message]
  const cases = [
    ["name", "must be 1 to 200 characters", "businessName"],
    ["display_phone_number", "at most 50 characters", "displayPhone"],
    ["timezone", "must be an IANA timezone such as Europe/Madrid", "timezone"],
    ["language", "at most 50 characters", "language"],
    ["personality", "at most 2000 characters", "personality"],
    ["instructions", "at most 8000 characters", "instructions"],
    ["access_token", "at most 2000 characters", "accessToken"],
    ["page_access_token", "at most 2000 characters", "accessToken"],
    ["whatsapp_number_id", "must be 1 to 64 letters, digits, '-' or '_'", "accountId"],
    ["messenger_page_id", "must be 1 to 64 letters, digits, '-' or '_'", "accountId"],
    ["max_concurrent", "must be an integer from 1 to 1000", "maxConcurrent"],
    ["slot_step_minutes", "must be an integer from 5 to 240", "slotStep"],
    ["buffer_minutes", "must be an integer from 0 to 1440", "buffer"],
    ["min_notice_minutes", "must be an integer from 0 to 525600", "minNotice"],
    ["horizon_days", "must be an integer from 1 to 365", "horizon"],
    ["monthly_token_budget", "must be an integer from 0 to 1000000000000", "tokenBudget"],
    ["services", "must be a list of at most 200 services", "tooManyServices"],
    ["services.0.name", "must be 1 to 200 characters", "serviceName"],
    ["services.3.name", "duplicates services.1.name", "serviceTwice"],
    ["services.12.duration_minutes", "must be an integer from 1 to 720", "serviceDuration"],
    ["services.0.price", "must be a number from 0 to 99999999.99", "price"],
    ["services.1.price", "at most 2 decimal places", "price"],
    ["services.0.currency", "must be a 3-letter currency code such as EUR", "currency"],
    ["opening_hours.mon.open", "must be HH:MM", "timeFormat"],
    ["opening_hours.sun.close", "must be HH:MM", "closeTime"],
    ["opening_hours.tue.close", "must be after open", "closeBeforeOpen"],
    ["opening_hours.wed.breaks", "must be a list of at most 20 [start, end] pairs", "tooManyBreaks"],
    ["opening_hours.thu.breaks.0", "must be HH:MM", "timeFormat"],
    ["opening_hours.thu.breaks.1", "must be a [start, end] pair of HH:MM times", "timeFormat"],
    ["opening_hours.fri.breaks.0", "must end after it starts", "breakEndsFirst"],
    ["opening_hours.sat.breaks.2", "must lie inside the opening hours", "breakOutside"],
    ["opening_hours.mon.breaks.1", "must not overlap another break", "breakOverlap"],
  ];
  for (const [path, text, key] of cases) assert.equal(fieldKey(path, text), key, `${path}: ${text}`);
  const older = ["endBeforeStart", "blockTooLong", "reasonTooLong", "when", "customerName", "customerPhone", "service"];
  const member = ["email", "emailTaken", "memberName"];
  const settings = FIELD_PROBLEMS.filter((key) => ![...older, "reminderOffsets", ...member].includes(key));
  assert.deepEqual([...new Set(cases.map(([, , key]) => key))].sort(), settings.sort());
  // Fields the settings do not name keep the API's words; the front desk's are unchanged.
  assert.equal(fieldKey("services.0.id", "appears twice"), undefined);
  assert.equal(fieldKey("opening_hours.mon", "must be null or an object with open, close and breaks"), undefined);
  assert.equal(fieldKey("customer_name", "must be 1 to 100 characters"), "customerName");
});

test("an opening-hours error reads as one sentence in Spanish", () => {
  const problems = createTranslator({ locale: "es", messages: es, namespace: "problems" });
  const hours = createTranslator({ locale: "es", messages: es, namespace: "settings.hours" });
  const error = problems(fieldKey("opening_hours.mon.close", "must be after open"));
  assert.equal(hours("closingError", { error }), "Hora de cierre: Debe ser posterior a la hora de apertura.");
  const english = createTranslator({ locale: "en", messages: en, namespace: "settings.hours" });
  const inEnglish = createTranslator({ locale: "en", messages: en, namespace: "problems" });
  assert.equal(
    english("breakError", {
      n: 2,
      error: inEnglish(fieldKey("opening_hours.mon.breaks.1", "must not overlap another break")),
    }),
    "Break 2: It overlaps another break.",
  );
});
