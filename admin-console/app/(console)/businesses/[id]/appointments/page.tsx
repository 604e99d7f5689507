import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";

import { fetchAppointments, fetchBlockedTimes, fetchBusiness } from "@/app/lib/api";
import type { Business } from "@/app/lib/definitions";
import { getLang, getT } from "@/app/lib/i18n";
import { businessLocale, type Lang } from "@/app/lib/locale";
import { param, positiveInt, type SearchParams } from "@/app/lib/params";
import { addDays, formatDay, isIsoDate, nowMs, startOfWeek, todayIn } from "@/app/lib/time";
import { AppointmentPanel } from "@/app/ui/calendar/appointment-panel";
import { BlockForm } from "@/app/ui/calendar/block-form";
import { BookingForm } from "@/app/ui/calendar/booking-form";
import { CalendarWarning } from "@/app/ui/calendar/calendar-warning";
import { CalendarView } from "@/app/ui/calendar/calendar-view";
import { DateJump } from "@/app/ui/calendar/date-jump";
import { CardSkeleton } from "@/app/ui/skeletons";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("tabs"))("appointments") };
}

type View = "day" | "week";

export default async function AppointmentsPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const query = await searchParams;
  const loading = await getT("loading");
  const [business, lang, t, tb, tk] = await Promise.all([
    fetchBusiness(id),
    getLang(),
    getT("calendar"),
    getT("booking"),
    getT("block"),
  ]);
  const locale = businessLocale(lang, business.timezone);
  const view: View = param(query, "view") === "week" ? "week" : "day";
  const requested = param(query, "date");
  const today = todayIn(business.timezone);
  const date = isIsoDate(requested) ? requested : today;
  const selected = positiveInt(param(query, "appointment") ?? "");
  const step = view === "week" ? 7 : 1;
  const base = `/businesses/${id}/appointments`;
  const href = (v: View, d: string) => `${base}?view=${v}&date=${d}`;
  const title =
    view === "week"
      ? t("weekOf", { date: formatDay(startOfWeek(date), "long", locale) })
      : formatDay(date, "long", locale);
  const now = nowMs();

  return (
    <>
      <Suspense fallback={null}>
        <CalendarWarning businessId={id} timeZone={business.timezone} locale={locale} />
      </Suspense>
      <section className="card" aria-labelledby="appointments-title">
        <div className="card-head">
          <h2 id="appointments-title">{title}</h2>
          <span className="muted small">
            {t("capacity", { capacity: business.max_concurrent, timeZone: business.timezone })}
          </span>
        </div>
        <div className="toolbar">
          <nav className="segmented" aria-label={t("view")}>
            <Link href={href("day", date)} aria-current={view === "day" ? "page" : undefined}>
              {t("day")}
            </Link>
            <Link href={href("week", date)} aria-current={view === "week" ? "page" : undefined}>
              {t("week")}
            </Link>
          </nav>
          <Link
            className="button secondary"
            href={href(view, addDays(date, -step))}
            aria-label={t(view === "week" ? "previousWeek" : "previousDay")}
          >
            ←
          </Link>
          <Link className="button secondary" href={href(view, today)}>
            {t("today")}
          </Link>
          <Link
            className="button secondary"
            href={href(view, addDays(date, step))}
            aria-label={t(view === "week" ? "nextWeek" : "nextDay")}
          >
            →
          </Link>
          <DateJump
            label={t("goTo")}
            date={date}
            hrefPrefix={`${base}?view=${view}&date=`}
            lang={lang}
            locale={locale}
          />
        </div>
        <div className="desk-forms">
          <details className="desk-form">
            <summary className="button">{tb("add")}</summary>
            <BookingForm
              businessId={id}
              services={business.services}
              date={date < today ? today : date}
              timeZone={business.timezone}
              lang={lang}
              locale={locale}
              openHref={`${href(view, date)}&appointment=`}
            />
          </details>
          <details className="desk-form">
            <summary className="button secondary">{tk("add")}</summary>
            <BlockForm businessId={id} date={date} timeZone={business.timezone} lang={lang} locale={locale} />
          </details>
        </div>
      </section>
      {selected ? (
        <Suspense key={selected} fallback={<CardSkeleton label={loading("appointment")} lines={4} />}>
          <AppointmentPanel
            business={business}
            appointmentId={selected}
            closeHref={href(view, date)}
            now={now}
            lang={lang}
            locale={locale}
          />
        </Suspense>
      ) : null}
      <section className="card" aria-label={t("grid")}>
        <Suspense key={`${view}:${date}`} fallback={<CardSkeleton label={loading("appointments")} lines={8} />}>
          <Schedule
            business={business}
            view={view}
            date={date}
            now={now}
            lang={lang}
            locale={locale}
            openHref={(a) => `${href(view, date)}&appointment=${a}`}
            dayHref={(d) => href("day", d)}
          />
        </Suspense>
      </section>
    </>
  );
}

async function Schedule({
  business,
  view,
  date,
  now,
  locale,
  openHref,
  dayHref,
}: {
  business: Business;
  view: View;
  date: string;
  now: number;
  lang: Lang;
  locale: string;
  openHref: (id: number) => string;
  dayHref: (date: string) => string;
}) {
  const first = view === "week" ? startOfWeek(date) : date;
  const last = view === "week" ? addDays(first, 6) : date;
  // A day's edges in UTC can be a day off locally: ask for one more day each side.
  const [appointments, blocked] = await Promise.all([
    fetchAppointments(business.id, first, last),
    fetchBlockedTimes(business.id, addDays(first, -1), addDays(last, 1)),
  ]);
  const dates = Array.from({ length: view === "week" ? 7 : 1 }, (_, i) => addDays(first, i));
  return (
    <CalendarView
      business={business}
      dates={dates}
      appointments={appointments}
      blocked={blocked}
      now={now}
      locale={locale}
      openHref={openHref}
      dayHref={dayHref}
    />
  );
}
