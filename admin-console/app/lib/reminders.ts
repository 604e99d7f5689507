import type { Reminder, ReminderState, SendError } from "./definitions";

// How the console reads and shows reminder settings and statuses (no I/O: unit tested).

/** "24 h", "2 h", "90 min", "2 d": an offset before the appointment, short. */
export function offsetLabel(minutes: number): string {
  if (minutes % 1440 === 0 && minutes >= 2880) return `${minutes / 1440} d`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

/**
 * The offsets typed as "24h, 2h" (also "90m", "2d", or bare minutes "120") as minutes,
 * or the text unchanged when a part is not understood (the API then names the field).
 */
export function parseOffsets(text: string): number[] | string {
  const parts = text
    .split(/[,;\s]+/)
    .map((p) => p.trim().toLowerCase())
    .filter(Boolean);
  const minutes: number[] = [];
  for (const part of parts) {
    const match = /^(\d+(?:\.\d+)?)\s*(d|h|m|min)?$/.exec(part);
    if (!match) return text;
    const value = Number(match[1]) * ({ d: 1440, h: 60, m: 1, min: 1 }[match[2] ?? "min"] ?? 1);
    if (!Number.isInteger(value)) return text;
    minutes.push(value);
  }
  return minutes;
}

/** The offsets as the form shows them: "24h, 2h". */
export function formatOffsets(minutes: number[]): string {
  return minutes.map((m) => offsetLabel(m).replace(" ", "")).join(", ");
}

/** A reminder's words: each status, the failure templates ({label}, {code}), and why the outbox
 * did not send one (messages `bubble.sendErrors`, as a conversation shows it). */
export type ReminderWords = {
  states: Record<ReminderState, string>;
  metaError: string;
  windowClosed: string;
  sendErrors?: Partial<Record<SendError, string>>;
};

/** A reminder's status in the reader's `words` (messages `reminderStatus`), with Meta's code or
 * the reason when it failed. */
export function statusLabel(
  reminder: Pick<Reminder, "status" | "error_code" | "send_error">,
  words: ReminderWords,
): string {
  const label = words.states[reminder.status] ?? reminder.status;
  if (reminder.status !== "failed") return label;
  if (reminder.error_code) {
    return words.metaError.replace("{label}", label).replace("{code}", String(reminder.error_code));
  }
  if (reminder.send_error === "window_closed") return words.windowClosed.replace("{label}", label);
  const reason = reminder.send_error ? words.sendErrors?.[reminder.send_error] : undefined;
  if (reason) return reason;
  return reminder.send_error ? `${label}: ${reminder.send_error.replace("_", " ")}` : label;
}

/** The badge tone of a status: good, bad or neutral. */
export function statusTone(status: ReminderState): "good" | "bad" | "neutral" {
  if (["delivered", "read", "played", "confirmed"].includes(status)) return "good";
  if (status === "failed") return "bad";
  return "neutral";
}

/** What the reminders form would send that the API refuses, by input (`settings.reminders`
 * message keys); checked before saving so the reader gets words, not the API's JSON shapes. */
export type ReminderFormProblems = {
  quiet?: "quietSame" | "quietTimes";
  templateName?: "templateNameError";
  templateLanguage?: "templateLanguageError";
};

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
// The API's rules (app/admin/fields.py): WhatsApp's template names and language codes.
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
const TEMPLATE_LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?$/;

export function checkReminderForm(form: {
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
  templateName: string;
  templateLanguage: string;
}): ReminderFormProblems {
  const problems: ReminderFormProblems = {};
  if (form.quiet) {
    if (!HHMM.test(form.quietStart) || !HHMM.test(form.quietEnd)) problems.quiet = "quietTimes";
    else if (form.quietStart === form.quietEnd) problems.quiet = "quietSame";
  }
  const name = form.templateName.trim();
  if (name) {
    if (!TEMPLATE_NAME.test(name)) problems.templateName = "templateNameError";
    if (!TEMPLATE_LANGUAGE.test(form.templateLanguage.trim())) problems.templateLanguage = "templateLanguageError";
  }
  return problems;
}
