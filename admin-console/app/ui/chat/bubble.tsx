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

/** Why the outbox did not send a message, in the business's words. */
const SEND_ERRORS: Record<SendError, string> = {
  window_closed: "Not sent: outside the 24-hour customer-service window",
  expired: "Not sent: it could not go out in time",
  never_retry: "Not sent: the channel refused it",
  bad_credentials: "Not sent: the channel refused our access token (reconnect the account)",
  unreachable: "Not delivered: the customer cannot receive messages",
};

export function Bubble(props: Props) {
  const { direction, body, status, createdAt, timeZone } = props;
  const failed = status === "failed";
  const who = direction === "out" ? (props.author ? `${props.author} (staff)` : "Bot") : "Customer";
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
      {props.tapped ? <div className="muted small">Tapped</div> : null}
      <div className="text">{body ? <RichText text={body} /> : <em className="muted">(no text)</em>}</div>
      {props.options?.length ? <Offered options={props.options} listButton={props.listButton ?? null} /> : null}
      {failed && props.sendError ? (
        <div className="msg-error" role="note" data-testid="send-error">
          {SEND_ERRORS[props.sendError] ?? "Not sent"}
          {props.errorCode ? ` (code ${props.errorCode})` : ""}
          {props.errorTitle ? <div className="small">{props.errorTitle}</div> : null}
        </div>
      ) : failed && (props.errorTitle || props.errorCode) ? (
        <div className="msg-error" role="note">
          Not delivered: {props.errorTitle ?? "error"}
          {props.errorCode ? ` (code ${props.errorCode})` : ""}
        </div>
      ) : null}
      {props.sentAs && /^(template|tag):/.test(props.sentAs) ? (
        <div className="muted small">Sent outside the 24-hour window as {props.sentAs.replace(":", " ")}</div>
      ) : null}
      {props.turnError ? <div className="msg-error">Turn failed: {props.turnError}</div> : null}
      <div className="foot">
        <time dateTime={createdAt}>{formatTime(createdAt, timeZone)}</time>
        {direction === "out" ? <Ticks status={status} /> : null}
      </div>
      {props.toolCalls?.length ? <ToolCalls calls={props.toolCalls} open={props.toolsOpen} /> : null}
    </div>
  );
}

/** The buttons, quick replies or list rows a reply offered, as the customer saw them. */
function Offered({ options, listButton }: { options: OfferedOption[]; listButton: string | null }) {
  const label = listButton ? `List "${listButton}"` : "Buttons";
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
