import Link from "next/link";
import { notFound } from "next/navigation";
import { Suspense } from "react";

import { customerLabel } from "@/app/lib/customers";
import { fetchAppointments, fetchBusiness, fetchSandbox } from "@/app/lib/api";
import type { Business } from "@/app/lib/definitions";
import { getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";
import { positiveInt, type BusinessParams } from "@/app/lib/params";
import { addDays, formatDateTime, nowMs, todayIn } from "@/app/lib/time";
import { SandboxChat } from "@/app/ui/chat/sandbox-chat";
import { OverviewNumbers } from "@/app/ui/overview/overview-numbers";
import { CardSkeleton, ChatSkeleton } from "@/app/ui/skeletons";

export default async function BusinessPage({ params }: BusinessParams) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const [business, lang] = await Promise.all([fetchBusiness(id), getLang()]);
  const locale = businessLocale(lang, business.timezone);
  return (
    <>
      <Suspense fallback={<CardSkeleton label="Loading this week's numbers" lines={4} />}>
        <OverviewNumbers business={business} locale={locale} />
      </Suspense>
      <div className="grid-main-side">
        <Suspense
          fallback={
            <div className="card">
              <h2>Try the bot</h2>
              <ChatSkeleton label="Loading the test chat" />
            </div>
          }
        >
          <Sandbox business={business} />
        </Suspense>
        <div>
          <Suspense fallback={<CardSkeleton label="Loading upcoming appointments" />}>
            <Upcoming business={business} locale={locale} />
          </Suspense>
          <section className="card" aria-labelledby="setup-title">
            <h2 id="setup-title">Setup</h2>
            <ul className="list small">
              <li>
                {business.services.length} services · up to {business.max_concurrent} appointments at a time
              </li>
              <li>
                Slots every {business.slot_step_minutes} min · booking {business.min_notice_minutes} min to{" "}
                {business.horizon_days} days ahead
              </li>
              <li>
                WhatsApp {business.display_phone_number || "number not set"} ·{" "}
                {business.has_access_token ? "access token stored" : "no access token"}
              </li>
            </ul>
          </section>
        </div>
      </div>
    </>
  );
}

async function Sandbox({ business }: { business: Business }) {
  const messages = await fetchSandbox(business.id);
  if (messages === null) {
    return (
      <section className="card" aria-labelledby="try-bot-title">
        <h2 id="try-bot-title">Try the bot</h2>
        <p className="notice warn">
          This admin API has no test chat yet (<code>/sandbox/messages</code> is missing). Update the backend to try the
          bot from here.
        </p>
      </section>
    );
  }
  return <SandboxChat businessId={business.id} timeZone={business.timezone} initial={messages} />;
}

async function Upcoming({ business, locale }: { business: Business; locale: string }) {
  const t = await getT("overview");
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
        <p className="muted">No upcoming appointments.</p>
      ) : (
        <ul className="list">
          {appointments.map((a) => (
            <li key={a.id}>
              <strong>{formatDateTime(a.starts_at, business.timezone, locale)}</strong> · {a.service_name}
              <div className="muted small">
                {customerLabel(a.customer_name, a.customer_channel, a.customer_address)}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
