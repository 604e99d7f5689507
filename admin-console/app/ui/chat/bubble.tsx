import type { Direction, ToolCall } from "@/app/lib/definitions";
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
  toolCalls?: ToolCall[];
  toolsOpen?: boolean;
  turnError?: string | null;
};

export function Bubble(props: Props) {
  const { direction, body, status, createdAt, timeZone } = props;
  const failed = status === "failed";
  const who = direction === "out" ? "Bot" : "Customer";
  return (
    <div className={`bubble ${direction}${failed ? " failed" : ""}`} data-testid={`bubble-${direction}`}>
      <span className="visually-hidden">{who}: </span>
      <div className="text">{body ? <RichText text={body} /> : <em className="muted">(no text)</em>}</div>
      {failed && (props.errorTitle || props.errorCode) ? (
        <div className="msg-error" role="note">
          Not delivered: {props.errorTitle ?? "error"}
          {props.errorCode ? ` (code ${props.errorCode})` : ""}
        </div>
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
