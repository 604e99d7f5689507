import type { Appointment, Business } from "@/app/lib/definitions";
import { capacityClass, daySchedule } from "@/app/lib/schedule";
import { toHhmm } from "@/app/lib/time";

import { AppointmentChip } from "./appointment-chip";

/** One day as slots, each with how many of the capacity are taken ("1/2"). */
export function DayView({
  business,
  date,
  appointments,
  now,
}: {
  business: Business;
  date: string;
  appointments: Appointment[];
  now: number;
}) {
  const day = daySchedule(business, date, appointments);
  const cap = business.max_concurrent;
  return (
    <>
      {day.closedReason ? <p className="notice info">{day.closedReason}.</p> : null}
      {day.slots.length ? (
        <ul className="slots" aria-label="Time slots">
          {day.slots.map((slot) => (
            <li
              key={slot.start}
              className={`slot${slot.kind === "break" ? " break" : ""}`}
              data-testid="slot"
              data-time={toHhmm(slot.start)}
            >
              <span className="time">{toHhmm(slot.start)}</span>
              {slot.kind === "break" ? (
                <span style={{ gridColumn: "2 / 4" }}>Break until {toHhmm(slot.end)}</span>
              ) : (
                <>
                  <span
                    className={capacityClass(slot.load, cap)}
                    aria-label={`${slot.load} of ${cap} booked`}
                    data-testid="capacity"
                  >
                    {slot.load}/{cap}
                  </span>
                  <div>
                    {slot.starting.map((a) => (
                      <AppointmentChip
                        key={a.id}
                        appt={a}
                        businessId={business.id}
                        timeZone={business.timezone}
                        now={now}
                      />
                    ))}
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {day.outside.length ? (
        <div style={{ marginTop: "1rem" }}>
          <h3>Outside opening hours</h3>
          {day.outside.map((a) => (
            <AppointmentChip key={a.id} appt={a} businessId={business.id} timeZone={business.timezone} now={now} />
          ))}
        </div>
      ) : null}
    </>
  );
}
