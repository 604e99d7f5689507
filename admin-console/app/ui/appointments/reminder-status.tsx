import type { Reminder, ReminderState, SendError } from "@/app/lib/definitions";
import { getT } from "@/app/lib/i18n";
import { offsetLabel, statusLabel, statusTone } from "@/app/lib/reminders";
import en from "@/app/messages/en";

const BADGE = { good: "badge green", bad: "badge red", neutral: "badge" } as const;

/**
 * Each reminder of one appointment: when it is (or was) due and what became of it — pending,
 * sent, delivered, read, confirmed, or failed with Meta's code. Data: `fetchAppointment`.
 */
export async function ReminderStatus({
  reminders,
  timezone,
  locale,
}: {
  reminders: Reminder[];
  timezone: string;
  locale: string;
}) {
  const t = await getT("reminderStatus");
  if (reminders.length === 0) return <p className="muted small">{t("none")}</p>;
  const states = Object.fromEntries(
    (Object.keys(en.reminderStatus.states) as ReminderState[]).map((state) => [state, t(`states.${state}`)]),
  ) as Record<ReminderState, string>;
  const bubble = await getT("bubble");
  const sendErrors = Object.fromEntries(
    (Object.keys(en.bubble.sendErrors) as SendError[]).map((code) => [code, bubble(`sendErrors.${code}`)]),
  ) as Record<SendError, string>;
  // The failure templates keep their {label} and {code}: statusLabel fills them.
  const words = { states, metaError: t.raw("metaError"), windowClosed: t.raw("windowClosed"), sendErrors };
  const when = new Intl.DateTimeFormat(locale, {
    timeZone: timezone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });
  return (
    <ul className="list" aria-label={t("list")} data-testid="reminder-status">
      {reminders.map((reminder) => (
        <li key={reminder.offset_minutes} className="row small">
          <span>{t("before", { offset: offsetLabel(reminder.offset_minutes) })}</span>
          <time className="muted" dateTime={reminder.due_at}>
            {when.format(new Date(reminder.due_at))}
          </time>
          <span className={BADGE[statusTone(reminder.status)]}>{statusLabel(reminder, words)}</span>
        </li>
      ))}
    </ul>
  );
}
