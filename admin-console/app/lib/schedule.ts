// A day's booking slots and how full each one is, from the business's settings and appointments.

import type { Appointment, Business } from "./definitions";
import { localParts, toMinutes, weekdayOf } from "./time";

export type Slot = {
  start: number;
  end: number;
  kind: "open" | "break";
  /** Booked appointments overlapping the slot: what counts against capacity. */
  load: number;
  /** Appointments (booked or cancelled) that start in the slot. */
  starting: Appointment[];
};

export type DaySchedule = {
  date: string;
  closedReason: string | null;
  slots: Slot[];
  /** Appointments that fall outside today's opening hours (hours changed after booking). */
  outside: Appointment[];
};

type Placed = { appt: Appointment; start: number; end: number };

function placeOn(date: string, appointments: Appointment[], timeZone: string): Placed[] {
  return appointments.flatMap((appt) => {
    const start = localParts(appt.starts_at, timeZone);
    if (start.date !== date) return [];
    const end = localParts(appt.ends_at, timeZone);
    return [{ appt, start: start.minutes, end: end.date === date ? end.minutes : 24 * 60 }];
  });
}

export function daySchedule(business: Business, date: string, appointments: Appointment[]): DaySchedule {
  const placed = placeOn(date, appointments, business.timezone);
  const hours = business.opening_hours[weekdayOf(date)];
  const closedReason = business.closed_dates.includes(date)
    ? "Closed (closed date)"
    : hours
      ? null
      : "Closed on this weekday";
  if (!hours || closedReason) {
    return { date, closedReason, slots: [], outside: placed.map((p) => p.appt) };
  }
  const step = Math.max(5, business.slot_step_minutes);
  const open = toMinutes(hours.open);
  const close = toMinutes(hours.close);
  const breaks = (hours.breaks ?? []).map(([a, b]) => [toMinutes(a), toMinutes(b)] as const);
  const slots: Slot[] = [];
  for (let t = open; t < close; t += step) {
    const end = Math.min(t + step, close);
    const inBreak = breaks.find(([a, b]) => t >= a && t < b);
    const last = slots[slots.length - 1];
    if (inBreak && last?.kind === "break") {
      last.end = end; // one row per break, however many steps it spans
    } else {
      slots.push({ start: t, end, kind: inBreak ? "break" : "open", load: 0, starting: [] });
    }
  }
  const outside: Appointment[] = [];
  for (const p of placed) {
    const home = slots.find((s) => p.start >= s.start && p.start < s.end);
    if (home) home.starting.push(p.appt);
    else outside.push(p.appt);
    if (p.appt.status !== "booked") continue;
    for (const s of slots) if (p.start < s.end && p.end > s.start) s.load += 1;
  }
  return { date, closedReason, slots, outside };
}

export function capacityClass(load: number, capacity: number): string {
  if (load >= capacity) return "cap full";
  return load > 0 ? "cap some" : "cap";
}
