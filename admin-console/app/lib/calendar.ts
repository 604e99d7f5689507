// Where things go on the calendar: appointment blocks by time, side by side up to capacity, and
// the shaded parts of a day (closed, breaks, blocked). Times are minutes of the local day.

import type { Appointment, BlockedTime, Business } from "./definitions";
import { localParts, toMinutes, weekdayOf } from "./time";

export type Placed = { appt: Appointment; start: number; end: number; lane: number; lanes: number };
export type Shade = {
  start: number;
  end: number;
  kind: "closed" | "break" | "blocked";
  reason?: string;
  /** The blocked time a "blocked" shade draws (its part of this day). */
  block?: BlockedTime;
};
export type DayPlan = {
  date: string;
  closed: "weekday" | "date" | null;
  open: number | null;
  close: number | null;
  shades: Shade[];
  blocks: Placed[];
};

const DAY = 24 * 60;

function span(startIso: string, endIso: string, date: string, timeZone: string): [number, number] | null {
  const s = localParts(startIso, timeZone);
  const e = localParts(endIso, timeZone);
  if (s.date > date || e.date < date || (e.date === date && e.minutes === 0 && s.date < date)) return null;
  const start = s.date < date ? 0 : s.minutes;
  const end = e.date > date ? DAY : e.minutes;
  return end > start ? [start, end] : null;
}

/** Appointments of a day (cancelled ones left out) in lanes: overlapping ones side by side. */
export function placeAppointments(
  date: string,
  appointments: Appointment[],
  timeZone: string,
  capacity: number,
): Placed[] {
  const items = appointments
    .filter((a) => a.status !== "cancelled")
    .flatMap((appt) => {
      const s = span(appt.starts_at, appt.ends_at, date, timeZone);
      return s ? [{ appt, start: s[0], end: s[1], lane: 0, lanes: 1 }] : [];
    })
    .sort((a, b) => a.start - b.start || b.end - a.end || a.appt.id - b.appt.id);
  // Clusters of overlapping appointments share one lane count, so blocks line up.
  let cluster: Placed[] = [];
  let clusterEnd = -1;
  const finish = () => {
    const used = Math.max(0, ...cluster.map((p) => p.lane + 1));
    for (const p of cluster) p.lanes = Math.max(capacity, used);
  };
  for (const item of items) {
    if (item.start >= clusterEnd && cluster.length) {
      finish();
      cluster = [];
    }
    const busy = new Set(cluster.filter((p) => p.end > item.start).map((p) => p.lane));
    let lane = 0;
    while (busy.has(lane)) lane++;
    item.lane = lane;
    cluster.push(item);
    clusterEnd = Math.max(clusterEnd, item.end);
  }
  if (cluster.length) finish();
  return items;
}

/** A day's opening, its shaded parts and its appointment blocks. */
export function planDay(
  business: Business,
  date: string,
  appointments: Appointment[],
  blocked: BlockedTime[],
): DayPlan {
  const hours = business.opening_hours[weekdayOf(date)];
  const closed = business.closed_dates.includes(date) ? "date" : hours ? null : "weekday";
  const shades: Shade[] = [];
  let open: number | null = null;
  let close: number | null = null;
  if (closed || !hours) {
    shades.push({ start: 0, end: DAY, kind: "closed" });
  } else {
    open = toMinutes(hours.open);
    close = toMinutes(hours.close);
    shades.push({ start: 0, end: open, kind: "closed" }, { start: close, end: DAY, kind: "closed" });
    for (const [a, b] of hours.breaks ?? []) shades.push({ start: toMinutes(a), end: toMinutes(b), kind: "break" });
  }
  for (const b of blocked) {
    const s = span(b.starts_at, b.ends_at, date, business.timezone);
    if (s) shades.push({ start: s[0], end: s[1], kind: "blocked", reason: b.reason, block: b });
  }
  const blocks = placeAppointments(date, appointments, business.timezone, business.max_concurrent);
  return { date, closed, open, close, shades, blocks };
}

/** The hours a set of days is drawn over: every opening and every appointment, whole hours. */
export function visibleRange(days: DayPlan[]): [number, number] {
  const starts = days.flatMap((d) => [d.open ?? DAY, ...d.blocks.map((b) => b.start)]);
  const ends = days.flatMap((d) => [d.close ?? 0, ...d.blocks.map((b) => b.end)]);
  let start = Math.min(...starts);
  let end = Math.max(...ends);
  if (start >= end) [start, end] = [9 * 60, 18 * 60];
  return [Math.floor(start / 60) * 60, Math.min(DAY, Math.ceil(end / 60) * 60)];
}
