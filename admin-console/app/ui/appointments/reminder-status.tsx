import type { Reminder } from "@/app/lib/definitions";
import { offsetLabel, statusLabel, statusTone } from "@/app/lib/reminders";

const BADGE = { good: "badge green", bad: "badge red", neutral: "badge" } as const;

/**
 * Each reminder of one appointment: when it is (or was) due and what became of it — pending,
 * sent, delivered, read, confirmed, or failed with Meta's code. Data: `fetchAppointment`.
 */
export function ReminderStatus({ reminders, timezone }: { reminders: Reminder[]; timezone: string }) {
  if (reminders.length === 0) return <p className="muted small">No reminders.</p>;
  const when = new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  return (
    <ul className="list" aria-label="Reminders" data-testid="reminder-status">
      {reminders.map((reminder) => (
        <li key={reminder.offset_minutes} className="row small">
          <span>{offsetLabel(reminder.offset_minutes)} before</span>
          <time className="muted" dateTime={reminder.due_at}>
            {when.format(new Date(reminder.due_at))}
          </time>
          <span className={BADGE[statusTone(reminder.status)]}>{statusLabel(reminder)}</span>
        </li>
      ))}
    </ul>
  );
}
