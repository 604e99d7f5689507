import Link from "next/link";

import type { Appointment, Business } from "@/app/lib/definitions";
import { capacityClass, daySchedule } from "@/app/lib/schedule";
import { addDays, formatDay, toHhmm } from "@/app/lib/time";

import { AppointmentChip } from "./appointment-chip";

/** Seven days side by side: every slot's load against capacity, then the week's appointments. */
export function WeekView({
  business,
  monday,
  appointments,
  now,
}: {
  business: Business;
  monday: string;
  appointments: Appointment[];
  now: number;
}) {
  const days = Array.from({ length: 7 }, (_, i) => daySchedule(business, addDays(monday, i), appointments));
  const starts = [...new Set(days.flatMap((d) => d.slots.map((s) => s.start)))].sort((a, b) => a - b);
  const cap = business.max_concurrent;
  const base = `/businesses/${business.id}/appointments`;
  const listed = appointments.slice().sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  return (
    <>
      <div className="week-wrap" tabIndex={0} aria-label="Week grid, scrolls sideways">
        <table className="week">
          <caption className="visually-hidden">
            Booked of {cap} per slot, week of {formatDay(monday, "long")}
          </caption>
          <thead>
            <tr>
              <th scope="col" className="time">
                Time
              </th>
              {days.map((d) => (
                <th key={d.date} scope="col">
                  <Link href={`${base}?view=day&date=${d.date}`}>{formatDay(d.date)}</Link>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {starts.map((start) => (
              <tr key={start}>
                <th scope="row" className="time">
                  {toHhmm(start)}
                </th>
                {days.map((d) => {
                  const slot = d.slots.find((s) => s.start === start);
                  if (!slot) return <td key={d.date} className="closed" aria-label="closed" />;
                  if (slot.kind === "break") return <td key={d.date} className="closed" aria-label="break" />;
                  return (
                    <td key={d.date}>
                      <span className={capacityClass(slot.load, cap)} aria-label={`${slot.load} of ${cap} booked`}>
                        {slot.load}/{cap}
                      </span>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {starts.length === 0 ? <p className="notice info">Closed all week.</p> : null}
      <h3 style={{ marginTop: "1rem" }}>Appointments this week</h3>
      {listed.length === 0 ? <p className="muted">None.</p> : null}
      {listed.map((a) => (
        <AppointmentChip key={a.id} appt={a} businessId={business.id} timeZone={business.timezone} now={now} showDay />
      ))}
    </>
  );
}
