import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { checkReminderForm, formatOffsets, offsetLabel, parseOffsets, statusLabel, statusTone } =
  await importTs("app/lib/reminders.ts");
const { default: messages } = await importTs("app/messages/en.ts");
const { states, metaError, windowClosed } = messages.reminderStatus;
const english = { states, metaError, windowClosed };

test("offsets typed in hours, days or minutes become minutes", () => {
  assert.deepEqual(parseOffsets("24h, 2h"), [1440, 120]);
  assert.deepEqual(parseOffsets("2d 90m 30"), [2880, 90, 30]);
  assert.deepEqual(parseOffsets("1.5h"), [90]);
  assert.deepEqual(parseOffsets(""), []);
});

test("offsets that are not understood are left for the API to refuse", () => {
  for (const text of ["tomorrow", "2 hours", "-1h", "0.1m"]) assert.equal(parseOffsets(text), text);
});

test("offsets are shown short and read back the same", () => {
  assert.equal(offsetLabel(1440), "24 h");
  assert.equal(offsetLabel(2880), "2 d");
  assert.equal(offsetLabel(90), "90 min");
  assert.equal(formatOffsets([1440, 120]), "24h, 2h");
  assert.deepEqual(parseOffsets(formatOffsets([2880, 1440, 90])), [2880, 1440, 90]);
});

test("a failed reminder names Meta's code or the reason", () => {
  assert.equal(
    statusLabel({ status: "failed", error_code: 131049, send_error: null }, english),
    "Failed (Meta error 131049)",
  );
  assert.equal(
    statusLabel({ status: "failed", error_code: null, send_error: "window_closed" }, english),
    "Failed: outside the 24-hour window, no template",
  );
  assert.equal(statusLabel({ status: "read", error_code: null, send_error: null }, english), "Read");
  assert.equal(statusTone("confirmed"), "good");
  assert.equal(statusTone("failed"), "bad");
  assert.equal(statusTone("pending"), "neutral");
});

test("a reminder our outbox did not send says why in the reader's words", async () => {
  const { default: spanish } = await importTs("app/messages/es.ts");
  const withdrawn = { status: "failed", error_code: null, send_error: "withdrawn" };
  const quiet = { status: "failed", error_code: null, send_error: "quiet_hours" };
  const words = { ...english, sendErrors: messages.bubble.sendErrors };
  assert.equal(statusLabel(withdrawn, words), messages.bubble.sendErrors.withdrawn);
  assert.equal(statusLabel(quiet, words), "Not sent: held up until the business's quiet hours");
  const es = { ...spanish.reminderStatus, sendErrors: spanish.bubble.sendErrors };
  assert.equal(statusLabel(quiet, es), "No enviado: se retrasó hasta las horas de silencio del negocio");
});

test("quiet hours and the template are checked before saving, as the API would", () => {
  const form = { quiet: true, quietStart: "21:00", quietEnd: "09:00", templateName: "", templateLanguage: "" };
  assert.deepEqual(checkReminderForm(form), {});
  assert.deepEqual(checkReminderForm({ ...form, quietEnd: "21:00" }), { quiet: "quietSame" });
  assert.deepEqual(checkReminderForm({ ...form, quietEnd: "" }), { quiet: "quietTimes" });
  assert.deepEqual(checkReminderForm({ ...form, quiet: false, quietEnd: "21:00" }), {});
  assert.deepEqual(checkReminderForm({ ...form, templateName: "appointment_reminder", templateLanguage: "en_US" }), {});
  assert.deepEqual(checkReminderForm({ ...form, templateName: "Appointment reminder", templateLanguage: "es" }), {
    templateName: "templateNameError",
  });
  assert.deepEqual(checkReminderForm({ ...form, templateName: "appointment_reminder", templateLanguage: "" }), {
    templateLanguage: "templateLanguageError",
  });
  assert.deepEqual(checkReminderForm({ ...form, templateName: "", templateLanguage: "Spanish" }), {});
});
