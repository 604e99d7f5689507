import { fetchCalendarHealth, fetchRole } from "@/app/lib/api";
import { calendarWarning, canReconnect } from "@/app/lib/calendar-health";
import { getT } from "@/app/lib/i18n";
import { formatDateTime } from "@/app/lib/time";

/**
 * A banner when the business's Google Calendar is not up to date: the bot recorded a problem
 * with it, or upcoming bookings wait too long or could not be written. Nothing for a healthy or
 * local calendar. Owners are told how to reconnect it; staff, to tell an owner.
 */
export async function CalendarWarning({
  businessId,
  timeZone,
  locale,
}: {
  businessId: number;
  timeZone: string;
  locale: string;
}) {
  const [health, role] = await Promise.all([fetchCalendarHealth(businessId), fetchRole(businessId)]);
  const warning = calendarWarning(health);
  if (!warning) return null;
  const t = await getT("calendarHealth");
  const at = (iso: string) => formatDateTime(iso, timeZone, locale);
  const command = `python setup_calendar_auth.py --business-id ${businessId}`;
  return (
    <section
      className="notice error calendar-warning"
      role="alert"
      aria-labelledby="calendar-warning-title"
      data-testid="calendar-warning"
    >
      <h2 id="calendar-warning-title">{t("title")}</h2>
      {warning.error ? (
        <p>
          {warning.error.at ? t("error", { date: at(warning.error.at) }) : t("errorNoDate")}{" "}
          <span className="small">{t("errorDetail", { message: warning.error.message })}</span>
        </p>
      ) : null}
      {warning.late ? <p>{t("late", { count: warning.late, minutes: warning.lateAfterMinutes })}</p> : null}
      {warning.failed ? <p>{t("failed", { count: warning.failed })}</p> : null}
      <p>{t("meaning")}</p>
      <p className="small">
        {warning.lastSyncedAt ? t("lastSynced", { date: at(warning.lastSyncedAt) }) : t("neverSynced")}
      </p>
      <p>
        <strong>
          {canReconnect(role)
            ? t.rich("ownerAction", { command, code: (chunks) => <code>{chunks}</code> })
            : t("staffAction")}
        </strong>
      </p>
    </section>
  );
}
