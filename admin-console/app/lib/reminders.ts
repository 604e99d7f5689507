import type { Reminder, ReminderState } from "./definitions";

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

/** A reminder's words: each status, and the failure templates ({label}, {code}). */
export type ReminderWords = { states: Record<ReminderState, string>; metaError: string; windowClosed: string };

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
  return reminder.send_error ? `${label}: ${reminder.send_error.replace("_", " ")}` : label;
}

/** The badge tone of a status: good, bad or neutral. */
export function statusTone(status: ReminderState): "good" | "bad" | "neutral" {
  if (["delivered", "read", "played", "confirmed"].includes(status)) return "good";
  if (status === "failed") return "bad";
  return "neutral";
}
