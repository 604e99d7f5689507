import Link from "next/link";

import { fetchAppointment } from "@/app/lib/api";
import { syncNote } from "@/app/lib/calendar-health";
import { customerLabel, addressLabel } from "@/app/lib/customers";
import type { Business } from "@/app/lib/definitions";
import { getCustomerWords, getT } from "@/app/lib/i18n";
import type { Lang } from "@/app/lib/locale";
import { byInstant, formatDateTime, formatTime, localParts } from "@/app/lib/time";
import { CancelButton } from "@/app/ui/appointments/cancel-button";
import { ReminderStatus } from "@/app/ui/appointments/reminder-status";

import { MoveForm, NoShowButton } from "./appointment-actions";

/** One appointment opened from the calendar: who, what, when, its history and what staff can do. */
export async function AppointmentPanel({
  business,
  appointmentId,
  closeHref,
  now,
  lang,
  locale,
}: {
  business: Business;
  appointmentId: number;
  closeHref: string;
  now: number;
  lang: Lang;
  locale: string;
}) {
  const [a, t, tc] = await Promise.all([
    fetchAppointment(business.id, appointmentId),
    getT("appointment"),
    getT("calendar"),
  ]);
  const tz = business.timezone;
  const words = await getCustomerWords();
  const who = customerLabel(a.customer_name ?? "", a.customer_channel, a.customer_address, words);
  const at = (iso: string) => formatDateTime(iso, tz, locale);
  const started = new Date(a.starts_at).getTime() <= now;
  const sync = syncNote(business.calendar_backend, a, now);
  const events = [
    ...a.moves.map((m) => ({
      when: m.moved_at,
      text: t("moved", { from: at(m.from_starts_at), to: at(m.to_starts_at) }),
    })),
    ...a.history
      .filter((h) => h.action in { book: 1, cancel: 1, no_show: 1, move: 1 })
      .map((h) => ({
        when: h.created_at,
        text: t(`audit.${h.action as "book" | "move" | "cancel" | "no_show"}`, { user: h.user_email ?? "?" }),
      })),
  ].sort((x, y) => byInstant(x.when, y.when));
  return (
    <section className="card appt-panel" aria-labelledby="appt-title" data-testid="appointment-panel">
      <div className="card-head">
        <h2 id="appt-title">{t("title", { id: a.id })}</h2>
        <Link href={closeHref} scroll={false} className="button secondary">
          {t("close")}
        </Link>
      </div>
      <dl className="facts">
        <dt>{t("customer")}</dt>
        <dd>
          {who} · {addressLabel(a.customer_channel, a.customer_address, words)}
        </dd>
        <dt>{t("service")}</dt>
        <dd>{a.service_name}</dd>
        <dt>{t("when")}</dt>
        <dd data-testid="appointment-when">
          {at(a.starts_at)}–{formatTime(a.ends_at, tz, locale)}
        </dd>
        <dt>{t("status")}</dt>
        <dd>
          <span className={`badge status-${a.status}`}>{tc(`status.${a.status}`)}</span>{" "}
          {t("made", { by: tc(`by.${a.created_by}`), date: at(a.created_at) })}
        </dd>
        {sync ? (
          <>
            <dt>{t("googleCalendar")}</dt>
            <dd data-testid="appointment-sync">
              <span className={`badge ${sync === "failed" || sync === "cancelFailed" ? "red" : "yellow"}`}>
                {t(`sync.${sync}`)}
              </span>
            </dd>
          </>
        ) : null}
      </dl>
      {a.customer_channel !== "walk_in" ? (
        <p>
          <Link href={`/businesses/${business.id}/conversations/${a.customer_id}`}>{t("conversation")}</Link>
        </p>
      ) : null}
      {a.reminders.length ? <ReminderStatus reminders={a.reminders} timezone={tz} locale={locale} /> : null}
      <h3>{t("history")}</h3>
      {events.length ? (
        <ul className="list small" data-testid="appointment-history">
          {events.map((e, i) => (
            <li key={i}>
              <span className="muted">{at(e.when)}</span> {e.text}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">{t("noHistory")}</p>
      )}
      {a.status === "booked" && !started ? (
        <>
          <MoveForm
            businessId={business.id}
            appointmentId={a.id}
            serviceId={a.service_id}
            date={localParts(a.starts_at, tz).date}
            timeZone={tz}
            lang={lang}
            locale={locale}
          />
          <div className="form-actions">
            <CancelButton
              businessId={business.id}
              appointmentId={a.id}
              summary={`${a.service_name}, ${who}, ${at(a.starts_at)} (#${a.id})`}
            />
          </div>
        </>
      ) : null}
      {a.status === "booked" && started ? <NoShowButton businessId={business.id} appointmentId={a.id} /> : null}
    </section>
  );
}
