import Link from "next/link";

import { CONVERSATIONS_PER_PAGE, fetchConversations } from "@/app/lib/api";
import { addressLabel, customerLabel, isSandbox } from "@/app/lib/customers";
import { formatWhen, waitingFor } from "@/app/lib/time";
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
  const result = await fetchConversations(businessId, query, page);
  const pages = Math.max(1, Math.ceil(result.total / (result.per_page || CONVERSATIONS_PER_PAGE)));
  const base = `/businesses/${businessId}/conversations`;
  const pageHref = (n: number) => `${base}?${new URLSearchParams({ ...(query ? { q: query } : {}), page: String(n) })}`;
  if (result.conversations.length === 0) {
    return <p className="muted">{query ? `No conversation matches “${query}”.` : "No conversations yet."}</p>;
  }
  return (
    <>
      <ul className="list conv-list" aria-label="Conversations">
        {result.conversations.map((c) => (
          <li key={c.id} data-needs-attention={c.needs_attention ? "true" : undefined}>
            <Link href={`${base}/${c.id}`}>
              <span className="name">
                {customerLabel(c.profile_name, c.channel, c.address)}{" "}
                {isSandbox(c.address) ? <span className="badge">test chat</span> : <ChannelBadge channel={c.channel} />}{" "}
                {c.needs_attention ? (
                  <span className="badge red" title={c.handoff_reason ?? undefined}>
                    needs a person{c.handoff_at ? ` · waiting ${waitingFor(c.handoff_at)}` : ""}
                  </span>
                ) : c.bot_paused ? (
                  <span className="badge yellow">bot paused</span>
                ) : null}{" "}
                {c.opted_out ? <span className="badge red">opted out</span> : null}{" "}
                {c.unread > 0 ? <span className="badge green">{c.unread} new</span> : null}
              </span>
              <span className="when">
                {c.last_message ? formatWhen(c.last_message.created_at, timeZone, new Date(), locale) : ""}
              </span>
              <span className="preview">
                {c.last_message
                  ? `${c.last_message.direction === "out" ? "Sent: " : ""}${c.last_message.body}`
                  : "No messages"}
              </span>
              <span className="when">{isSandbox(c.address) ? "" : addressLabel(c.channel, c.address)}</span>
            </Link>
          </li>
        ))}
      </ul>
      <nav className="pager" aria-label="Pages">
        {page > 1 ? (
          <Link className="button secondary" href={pageHref(page - 1)}>
            ← Previous
          </Link>
        ) : (
          <span />
        )}
        <span className="muted small">
          Page {page} of {pages} · {result.total} conversations
        </span>
        {page < pages ? (
          <Link className="button secondary" href={pageHref(page + 1)}>
            Next →
          </Link>
        ) : (
          <span />
        )}
      </nav>
    </>
  );
}
