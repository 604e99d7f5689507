// Dates and times in a business's own timezone. Calendar dates are "YYYY-MM-DD" strings and
// times of day are minutes since midnight, so slot arithmetic never crosses a UTC offset.

import type { Weekday } from "./definitions";

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDate(value: string | undefined): value is string {
  if (!value || !DATE_RE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

/** The calendar date and minute of the day of an instant, as seen in `timeZone`. */
export function localParts(iso: string, timeZone: string): { date: string; minutes: number } {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return {
    date: `${get("year")}-${get("month")}-${get("day")}`,
    minutes: Number(get("hour")) * 60 + Number(get("minute")),
  };
}

export function todayIn(timeZone: string, now: Date = new Date()): string {
  return localParts(now.toISOString(), timeZone).date;
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const WEEKDAY_KEYS: Weekday[] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export function weekdayOf(date: string): Weekday {
  return WEEKDAY_KEYS[new Date(`${date}T00:00:00Z`).getUTCDay()] ?? "mon";
}

/** The Monday on or before `date`. */
export function startOfWeek(date: string): string {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return addDays(date, -((day + 6) % 7));
}

export function formatDay(date: string, style: "short" | "long" = "short", locale = "en-GB"): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: "UTC",
    weekday: style,
    day: "numeric",
    month: style,
    ...(style === "long" ? { year: "numeric" } : {}),
  }).format(new Date(`${date}T00:00:00Z`));
}

/** A time of day in the locale's way (15:05 in Spain, 03:05 PM in New York); the locale is the
 * business's (`businessLocale`), never a default. */
export function formatTime(iso: string, timeZone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

/** A time of day given in minutes since midnight, written the locale's way. */
export function formatMinutes(minutes: number, locale: string): string {
  const at = new Date(Date.UTC(2000, 0, 1, Math.floor(minutes / 60), minutes % 60));
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", hour: "2-digit", minute: "2-digit" }).format(at);
}

/** A calendar date written the locale's way with numbers only (02/12/2026 in Spain). */
export function formatNumericDate(date: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "2-digit", month: "2-digit", year: "numeric" }).format(
    new Date(`${date}T00:00:00Z`),
  );
}

export function formatDateTime(iso: string, timeZone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(iso));
}

/** "10:05" for a message today, else "Tue 24 Nov". */
export function formatWhen(iso: string, timeZone: string, now: Date = new Date(), locale = "en-GB"): string {
  const { date } = localParts(iso, timeZone);
  return date === todayIn(timeZone, now) ? formatTime(iso, timeZone, locale) : formatDay(date, "short", locale);
}

/** Compare two instants written in ISO 8601 by time (for `sort`). Their text does not order them:
 * the API writes each without a fraction of a second when it is zero ("…T09:00:00+00:00" is
 * before "…T09:00:00.400000+00:00", which `localeCompare` puts first), and an offset other than
 * UTC's would not sort either ("…T02:30:00+02:00" is before "…T02:15:00+01:00" on the night
 * clocks go back). */
export function byInstant(a: string, b: string): number {
  return new Date(a).getTime() - new Date(b).getTime();
}

/** The UTC instant of a wall-clock time on a local date in `timeZone` (ISO, with "Z"), read as
 * the bot reads times: one the clocks repeat (the night they go back) is its first occurrence, and
 * one they skip (the night they go forward) is the instant they jump past it. `minutes` may be
 * 1440 (24:00, the next day's midnight). */
export function wallToUtc(date: string, minutes: number, timeZone: string): string {
  const wall = Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10), 0, minutes);
  // What the zone's clock reads at an instant, as if that reading were UTC.
  const reading = (at: number) => {
    const seen = localParts(new Date(at).toISOString(), timeZone);
    return Date.UTC(+seen.date.slice(0, 4), +seen.date.slice(5, 7) - 1, +seen.date.slice(8, 10), 0, seen.minutes);
  };
  // The zone's offsets a day and a half before and after: the only ones a change can be between.
  const day = 36 * 3_600_000;
  const [one, two] = [wall - day, wall + day].map((at) => wall - (reading(at) - at)) as [number, number];
  const [first, last] = one <= two ? [one, two] : [two, one];
  for (const at of [first, last]) if (reading(at) === wall) return new Date(at).toISOString();
  // Skipped: the first minute from the earlier reading at which the clock reads the time or later.
  let at = first;
  while (at < last && reading(at) < wall) at += 60_000;
  return new Date(at).toISOString();
}

/** The words of a wait (messages `thread.wait`): "under a minute", "{minutes} min", … */
export type WaitWords = (
  key: "underMinute" | "minutes" | "hours" | "days",
  values?: Record<string, string | number>,
) => string;

/** How long since `iso`: "under a minute", "12 min", "3 h 05 min", "2 days" (in `say`'s words). */
export function waitingFor(iso: string, say: WaitWords, now: Date = new Date()): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - new Date(iso).getTime()) / 60_000));
  if (minutes < 1) return say("underMinute");
  if (minutes < 60) return say("minutes", { minutes });
  if (minutes < 48 * 60) {
    return say("hours", { hours: Math.floor(minutes / 60), minutes: String(minutes % 60).padStart(2, "0") });
  }
  return say("days", { days: Math.floor(minutes / (24 * 60)) });
}

export function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function toHhmm(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
}

/** The current time, read once per server render and handed down, so a page agrees with itself. */
export function nowMs(): number {
  return Date.now();
}
