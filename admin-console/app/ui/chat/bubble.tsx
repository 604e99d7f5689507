"use client";

import { useTranslations } from "use-intl/react";

import type { Direction, OfferedOption, SendError, ToolCall } from "@/app/lib/definitions";
import { formatTime } from "@/app/lib/time";

import { RichText } from "./rich-text";
import { Ticks } from "./ticks";
import { ToolCalls } from "./tool-calls";

type Props = {
  direction: Direction;
  body: string;
  status: string;
  createdAt: string;
  timeZone: string;
  /** The business's locale (`businessLocale`): how its times are written. */
  locale: string;
  errorTitle?: string | null;
  errorCode?: number | null;
  sendError?: SendError | null;
  sentAs?: string | null;
  toolCalls?: ToolCall[];
  toolsOpen?: boolean;
  turnError?: string | null;
  tapped?: boolean;
  options?: OfferedOption[];
  listButton?: string | null;
  /** The staff member who wrote an outbound message (null: the bot). */
  author?: string | null;
};

// Why the outbox did not send a message, in the business's words: bubble.sendErrors.<code>.
const SEND_ERRORS: readonly SendError[] = [
  "window_closed",
  "expired",
  "never_retry",
  "bad_credentials",
  "unreachable",
  "withdrawn",
  "quiet_hours",
];

export function Bubble(props: Props) {
  const { direction, body, status, createdAt, timeZone, locale } = props;
  const t = useTranslations("bubble");
  const failed = status === "failed";
  const who = direction === "out" ? (props.author ? t("staff", { author: props.author }) : t("bot")) : t("customer");
  return (
    <div
      className={`bubble ${direction}${failed ? " failed" : ""}${props.author ? " staff" : ""}`}
      data-testid={`bubble-${direction}`}
    >
      {props.author ? (
        <div className="muted small" data-testid="bubble-author">
          {who}
        </div>
      ) : (
        <span className="visually-hidden">{who}: </span>
      )}
      {props.tapped ? <div className="muted small">{t("tapped")}</div> : null}
      <div className="text">{body ? <RichText text={body} /> : <em className="muted">{t("noText")}</em>}</div>
      {props.options?.length ? <Offered options={props.options} listButton={props.listButton ?? null} /> : null}
      {failed && props.sendError ? (
        <div className="msg-error" role="note" data-testid="send-error">
          {SEND_ERRORS.includes(props.sendError) ? t(`sendErrors.${props.sendError}`) : t("notSent")}
          {props.errorCode ? t("code", { code: props.errorCode }) : ""}
          {props.errorTitle ? <div className="small">{props.errorTitle}</div> : null}
        </div>
      ) : failed && (props.errorTitle || props.errorCode) ? (
        <div className="msg-error" role="note">
          {t("notDelivered", { error: props.errorTitle ?? t("error") })}
          {props.errorCode ? t("code", { code: props.errorCode }) : ""}
        </div>
      ) : null}
      {props.sentAs && /^(template|tag):/.test(props.sentAs) ? (
        <div className="muted small">{t("sentOutside", { how: props.sentAs.replace(":", " ") })}</div>
      ) : null}
      {props.turnError ? <div className="msg-error">{t("turnFailed", { error: props.turnError })}</div> : null}
      <div className="foot">
        <time dateTime={createdAt}>{formatTime(createdAt, timeZone, locale)}</time>
        {direction === "out" ? <Ticks status={status} /> : null}
      </div>
      {props.toolCalls?.length ? <ToolCalls calls={props.toolCalls} open={props.toolsOpen} /> : null}
    </div>
  );
}

/** The buttons, quick replies or list rows a reply offered, as the customer saw them. */
function Offered({ options, listButton }: { options: OfferedOption[]; listButton: string | null }) {
  const t = useTranslations("bubble");
  const label = listButton ? t("list", { button: listButton }) : t("buttons");
  return (
    <div className="offered" data-testid="offered">
      <span className="muted small">{label}:</span>
      <ul className="chips" aria-label={label}>
        {options.map((o, i) => (
          <li key={i} className="chip" title={[o.section, o.description].filter(Boolean).join(" · ") || undefined}>
            {listButton && o.section ? <span className="muted">{o.section}</span> : null}
            {o.title}
          </li>
        ))}
      </ul>
    </div>
  );
}
