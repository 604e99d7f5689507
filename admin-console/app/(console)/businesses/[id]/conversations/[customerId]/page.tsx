import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { fetchBusiness, fetchThread } from "@/app/lib/api";
import { addressLabel, customerLabel, isSandbox } from "@/app/lib/customers";
import { getCustomerWords, getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";
import { param, positiveInt, type SearchParams } from "@/app/lib/params";
import { formatDateTime, waitingFor, type WaitWords } from "@/app/lib/time";
import { ChannelBadge } from "@/app/ui/channel-badge";
import { PauseToggle } from "@/app/ui/conversations/pause-toggle";
import { RemindersToggle } from "@/app/ui/conversations/reminders-toggle";
import { PrivacyActions } from "@/app/ui/conversations/privacy-actions";
import { StaffReply } from "@/app/ui/conversations/staff-reply";
import { ThreadView } from "@/app/ui/conversations/thread-view";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("thread"))("title") };
}

export default async function ThreadPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string; customerId: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const route = await params;
  const id = positiveInt(route.id);
  const customerId = positiveInt(route.customerId);
  if (!id || !customerId) notFound();
  const before = positiveInt(param(await searchParams, "before")) ?? undefined;
  const [business, thread] = await Promise.all([fetchBusiness(id), fetchThread(id, customerId, before)]);
  const { customer, messages } = thread;
  const [t, words, lang] = await Promise.all([getT("thread"), getCustomerWords(), getLang()]);
  const locale = businessLocale(lang, business.timezone);
  const wait: WaitWords = (key, values) => t(`wait.${key}`, values);
  const first = messages[0];
  return (
    <section className="card" aria-labelledby="thread-title">
      <div className="card-head">
        <div>
          <Link href={`/businesses/${id}/conversations`} className="small">
            {t("all")}
          </Link>
          <h2 id="thread-title" style={{ marginTop: "0.3rem" }}>
            {customerLabel(customer.profile_name, customer.channel, customer.address, words)}{" "}
            {isSandbox(customer.address) ? null : <ChannelBadge channel={customer.channel} />}
          </h2>
          <span className="muted small">
            {addressLabel(customer.channel, customer.address, words)}
            {customer.opted_out ? t("optedOut") : ""}
          </span>
        </div>
        <div className="row" style={{ flexWrap: "wrap" }}>
          {customer.erased_at ? null : (
            <>
              <PauseToggle businessId={id} customerId={customer.id} paused={customer.bot_paused} />
              <RemindersToggle businessId={id} customerId={customer.id} off={customer.reminders_off} />
            </>
          )}
          <PrivacyActions businessId={id} customerId={customer.id} erased={Boolean(customer.erased_at)} />
        </div>
      </div>
      {customer.erased_at ? <p className="notice info">{t("erased")}</p> : null}
      {customer.needs_attention ? (
        <div className="notice error" role="status" data-testid="handoff">
          <strong>{t("needsPerson")}</strong>
          {customer.handoff_reason ? `: ${customer.handoff_reason}` : ""}
          {customer.handoff_at ? t("waiting", { time: waitingFor(customer.handoff_at, wait) }) : ""}
          {customer.handoff_summary ? <div className="small">“{customer.handoff_summary}”</div> : null}
        </div>
      ) : null}
      {customer.bot_paused ? (
        <p className="notice warn">
          {t("paused")}
          {customer.paused_until
            ? t("pausedUntil", { when: formatDateTime(customer.paused_until, business.timezone, locale) })
            : ""}
        </p>
      ) : null}
      {thread.has_more && first ? (
        <p style={{ textAlign: "center" }}>
          <Link href={`?before=${first.id}`}>{t("earlier")}</Link>
        </p>
      ) : null}
      <ThreadView messages={messages} timeZone={business.timezone} locale={locale} />
      {before ? (
        <p style={{ textAlign: "center" }}>
          <Link href={`/businesses/${id}/conversations/${customer.id}`}>{t("latest")}</Link>
        </p>
      ) : customer.erased_at ? null : (
        <StaffReply businessId={id} customerId={customer.id} />
      )}
    </section>
  );
}
