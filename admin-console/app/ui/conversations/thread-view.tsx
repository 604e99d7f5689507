"use client";

import { useTranslations } from "use-intl/react";

import type { Message, ToolCall } from "@/app/lib/definitions";
import { formatDay, localParts } from "@/app/lib/time";
import { Bubble } from "@/app/ui/chat/bubble";

type Item = { message: Message; daySeparator: string | null; toolCalls?: ToolCall[]; turnError: string | null };

/** Day separators, and each turn's tool calls on its first reply only. */
function arrange(messages: Message[], timeZone: string): Item[] {
  const items: Item[] = [];
  const shownTurns = new Set<number>();
  let lastDay = "";
  for (const message of messages) {
    const day = localParts(message.created_at, timeZone).date;
    const item: Item = { message, daySeparator: day !== lastDay ? day : null, turnError: null };
    lastDay = day;
    const turn = message.turn;
    if (message.direction === "out" && turn && !shownTurns.has(turn.id)) {
      shownTurns.add(turn.id);
      item.toolCalls = turn.tool_calls;
      item.turnError = turn.status === "failed" ? turn.error : null;
    }
    items.push(item);
  }
  return items;
}

/** A WhatsApp-like thread with delivery ticks and the agent's tool calls folded under its replies. */
export function ThreadView({ messages, timeZone, locale }: { messages: Message[]; timeZone: string; locale: string }) {
  const t = useTranslations("thread");
  if (messages.length === 0) {
    return (
      <div className="chat">
        <p className="muted">{t("noMessages")}</p>
      </div>
    );
  }
  return (
    <div className="chat" aria-label={t("messages")} data-testid="thread">
      {arrange(messages, timeZone).map(({ message: m, daySeparator, toolCalls, turnError }) => (
        <div key={m.id} style={{ display: "contents" }}>
          {daySeparator ? <div className="day-sep">{formatDay(daySeparator, "long", locale)}</div> : null}
          <Bubble
            direction={m.direction}
            body={m.body || (m.type === "text" ? "" : `[${m.type}]`)}
            status={m.status}
            createdAt={m.created_at}
            timeZone={timeZone}
            locale={locale}
            errorTitle={m.error_title}
            errorCode={m.error_code}
            sendError={m.send_error}
            sentAs={m.sent_as}
            toolCalls={toolCalls}
            turnError={turnError}
            tapped={m.tapped}
            options={m.options}
            listButton={m.list_button}
            author={m.purpose === "staff" ? (m.sent_by_name ?? t("staffAuthor")) : null}
          />
        </div>
      ))}
    </div>
  );
}
