import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";

import { fetchAppointments, fetchBusiness } from "@/app/lib/api";
import type { Business } from "@/app/lib/definitions";
import { param, positiveInt, type SearchParams } from "@/app/lib/params";
import { addDays, formatDay, isIsoDate, nowMs, startOfWeek, todayIn } from "@/app/lib/time";
import { DayView } from "@/app/ui/appointments/day-view";
import { WeekView } from "@/app/ui/appointments/week-view";
import { CardSkeleton } from "@/app/ui/skeletons";

export const metadata: Metadata = { title: "Appointments" };

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
  const business = await fetchBusiness(id);
  const view: View = param(query, "view") === "week" ? "week" : "day";
  const requested = param(query, "date");
  const today = todayIn(business.timezone);
  const date = isIsoDate(requested) ? requested : today;
  const step = view === "week" ? 7 : 1;
  const base = `/businesses/${id}/appointments`;
  const href = (v: View, d: string) => `${base}?view=${v}&date=${d}`;
  const title = view === "week" ? `Week of ${formatDay(startOfWeek(date), "long")}` : formatDay(date, "long");

  return (
    <section className="card" aria-labelledby="appointments-title">
      <div className="card-head">
        <h2 id="appointments-title">{title}</h2>
        <span className="muted small">
          Capacity {business.max_concurrent} at a time · times in {business.timezone}
        </span>
      </div>
      <div className="toolbar">
        <nav className="segmented" aria-label="View">
          <Link href={href("day", date)} aria-current={view === "day" ? "page" : undefined}>
            Day
          </Link>
          <Link href={href("week", date)} aria-current={view === "week" ? "page" : undefined}>
            Week
          </Link>
        </nav>
        <Link className="button secondary" href={href(view, addDays(date, -step))} aria-label={`Previous ${view}`}>
          ←
        </Link>
        <Link className="button secondary" href={href(view, today)}>
          Today
        </Link>
        <Link className="button secondary" href={href(view, addDays(date, step))} aria-label={`Next ${view}`}>
          →
        </Link>
        <form className="row" action={base}>
          <input type="hidden" name="view" value={view} />
          <label htmlFor="goto-date" className="visually-hidden">
            Go to date
          </label>
          <input id="goto-date" type="date" name="date" defaultValue={date} style={{ width: "10.5rem" }} />
          <button type="submit" className="secondary">
            Go
          </button>
        </form>
      </div>
      <Suspense key={`${view}:${date}`} fallback={<CardSkeleton label="Loading appointments" lines={8} />}>
        <Schedule business={business} view={view} date={date} />
      </Suspense>
    </section>
  );
}

async function Schedule({ business, view, date }: { business: Business; view: View; date: string }) {
  if (view === "day") {
    const appointments = await fetchAppointments(business.id, date, date);
    return <DayView business={business} date={date} appointments={appointments} now={nowMs()} />;
  }
  const monday = startOfWeek(date);
  const appointments = await fetchAppointments(business.id, monday, addDays(monday, 6));
  return <WeekView business={business} monday={monday} appointments={appointments} now={nowMs()} />;
}
