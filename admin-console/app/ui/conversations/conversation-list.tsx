import Link from "next/link";

import { CONVERSATIONS_PER_PAGE, fetchConversations } from "@/app/lib/api";
import { addressLabel, customerLabel, isSandbox } from "@/app/lib/customers";
import { getCustomerWords, getT } from "@/app/lib/i18n";
import { formatWhen, waitingFor, type WaitWords } from "@/app/lib/time";
import { ChannelBadge } from "@/app/ui/channel-badge";

export async function ConversationList({
  businessId,
  timeZone,
  locale,
  query,
  page,
}: {
  businessId: number;
  timeZone: string;
  locale: string;
  query: string;
  page: number;
}) {
  const [result, t, tt, words] = await Promise.all([
    fetchConversations(businessId, query, page),
    getT("inbox"),
    getT("thread"),
    getCustomerWords(),
  ]);
  const wait: WaitWords = (key, values) => tt(`wait.${key}`, values);
  const pages = Math.max(1, Math.ceil(result.total / (result.per_page || CONVERSATIONS_PER_PAGE)));
  const base = `/businesses/${businessId}/conversations`;
  const pageHref = (n: number) => `${base}?${new URLSearchParams({ ...(query ? { q: query } : {}), page: String(n) })}`;
  if (result.conversations.length === 0) {
    return <p className="muted">{query ? t("noMatch", { query }) : t("none")}</p>;
  }
  return (
    <>
      <ul className="list conv-list" aria-label={t("title")}>
        {result.conversations.map((c) => (
          <li key={c.id} data-needs-attention={c.needs_attention ? "true" : undefined}>
            <Link href={`${base}/${c.id}`}>
              <span className="name">
                {customerLabel(c.profile_name, c.channel, c.address, words)}{" "}
                {isSandbox(c.address) ? (
                  <span className="badge">{t("testChat")}</span>
                ) : (
                  <ChannelBadge channel={c.channel} />
                )}{" "}
                {c.needs_attention ? (
                  <span className="badge red" title={c.handoff_reason ?? undefined}>
                    {t("needsPerson")}
                    {c.handoff_at ? t("waiting", { time: waitingFor(c.handoff_at, wait) }) : ""}
                  </span>
                ) : c.bot_paused ? (
                  <span className="badge yellow">{t("botPaused")}</span>
                ) : null}{" "}
                {c.opted_out ? <span className="badge red">{t("optedOut")}</span> : null}{" "}
                {c.unread > 0 ? <span className="badge green">{t("new", { count: c.unread })}</span> : null}
              </span>
              <span className="when">
                {c.last_message ? formatWhen(c.last_message.created_at, timeZone, new Date(), locale) : ""}
              </span>
              <span className="preview">
                {c.last_message
                  ? `${c.last_message.direction === "out" ? t("sentPrefix") : ""}${c.last_message.body}`
                  : t("noMessages")}
              </span>
              <span className="when">{isSandbox(c.address) ? "" : addressLabel(c.channel, c.address, words)}</span>
            </Link>
          </li>
        ))}
      </ul>
      <nav className="pager" aria-label={t("pages")}>
        {page > 1 ? (
          <Link className="button secondary" href={pageHref(page - 1)}>
            {t("previous")}
          </Link>
        ) : (
          <span />
        )}
        <span className="muted small">{t("page", { page, pages, total: result.total })}</span>
        {page < pages ? (
          <Link className="button secondary" href={pageHref(page + 1)}>
            {t("next")}
          </Link>
        ) : (
          <span />
        )}
      </nav>
    </>
  );
}
