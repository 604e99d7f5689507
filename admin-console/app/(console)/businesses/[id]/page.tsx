import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";

import { customerLabel } from "@/app/lib/customers";
import { fetchAppointments, fetchBusiness, fetchSandbox } from "@/app/lib/api";
import type { Business } from "@/app/lib/definitions";
import { getCustomerWords, getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";
import { positiveInt, type BusinessParams } from "@/app/lib/params";
import { addDays, formatDateTime, nowMs, todayIn } from "@/app/lib/time";
import { CalendarWarning } from "@/app/ui/calendar/calendar-warning";
import { SandboxChat } from "@/app/ui/chat/sandbox-chat";
import { OverviewNumbers } from "@/app/ui/overview/overview-numbers";
import { CardSkeleton, ChatSkeleton } from "@/app/ui/skeletons";

export default async function BusinessPage({ params }: BusinessParams) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const [business, lang] = await Promise.all([fetchBusiness(id), getLang()]);
  const locale = businessLocale(lang, business.timezone);
  const [t, ts] = await Promise.all([getT("home"), getT("sandbox")]);
  return (
    <>
      <Suspense fallback={null}>
        <CalendarWarning businessId={business.id} timeZone={business.timezone} locale={locale} />
      </Suspense>
      <Suspense fallback={<CardSkeleton label={t("loadingNumbers")} lines={4} />}>
        <OverviewNumbers business={business} locale={locale} />
      </Suspense>
      <div className="grid-main-side">
        <Suspense
          fallback={
            <div className="card">
              <h2>{ts("title")}</h2>
              <ChatSkeleton label={t("loadingChat")} />
            </div>
          }
        >
          <Sandbox business={business} locale={locale} />
        </Suspense>
        <div>
          <Suspense fallback={<CardSkeleton label={t("loadingUpcoming")} />}>
            <Upcoming business={business} locale={locale} />
          </Suspense>
          <section className="card" aria-labelledby="setup-title">
            <h2 id="setup-title">{t("setup")}</h2>
            <ul className="list small">
              <li>{t("services", { count: business.services.length, capacity: business.max_concurrent })}</li>
              <li>
                {t("slots", {
                  step: business.slot_step_minutes,
                  notice: business.min_notice_minutes,
                  horizon: business.horizon_days,
                })}
              </li>
              <li>
                {t("whatsapp", {
                  number: business.display_phone_number || t("numberNotSet"),
                  token: business.has_access_token ? t("tokenStored") : t("noToken"),
                })}
              </li>
            </ul>
          </section>
        </div>
      </div>
    </>
  );
}

async function Sandbox({ business, locale }: { business: Business; locale: string }) {
  const messages = await fetchSandbox(business.id);
  if (messages === null) {
    const [t, ts] = await Promise.all([getT("home"), getT("sandbox")]);
    return (
      <section className="card" aria-labelledby="try-bot-title">
        <h2 id="try-bot-title">{ts("title")}</h2>
        <p className="notice warn">{t.rich("noSandbox", { code: (chunks) => <code>{chunks}</code> })}</p>
      </section>
    );
  }
  return <SandboxChat businessId={business.id} timeZone={business.timezone} locale={locale} initial={messages} />;
}

async function Upcoming({ business, locale }: { business: Business; locale: string }) {
  const [t, th, words] = await Promise.all([getT("overview"), getT("home"), getCustomerWords()]);
  const today = todayIn(business.timezone);
  const now = nowMs();
  const appointments = (await fetchAppointments(business.id, today, addDays(today, 6)))
    .filter((a) => a.status === "booked" && new Date(a.ends_at).getTime() > now)
    .slice(0, 8);
  return (
    <section className="card" aria-labelledby="upcoming-title">
      <div className="card-head">
        <h2 id="upcoming-title">{t("upcoming")}</h2>
        <Link href={`/businesses/${business.id}/appointments?view=week`}>{t("weekView")}</Link>
      </div>
      {appointments.length === 0 ? (
        <p className="muted">{th("noUpcoming")}</p>
      ) : (
        <ul className="list">
          {appointments.map((a) => (
            <li key={a.id}>
              <strong>{formatDateTime(a.starts_at, business.timezone, locale)}</strong> · {a.service_name}
              <div className="muted small">
                {customerLabel(a.customer_name, a.customer_channel, a.customer_address, words)}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
