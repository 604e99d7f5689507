"use client";

import { useTranslations } from "use-intl/react";

import type { ToolCall } from "@/app/lib/definitions";

function pretty(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** The tools the agent called to produce a reply, folded under it. */
export function ToolCalls({ calls, open = false }: { calls: ToolCall[]; open?: boolean }) {
  const t = useTranslations("bubble");
  if (calls.length === 0) return null;
  const names = calls.map((c) => c.name).join(", ");
  return (
    <details className="tools" open={open}>
      <summary>
        {t("toolCalls", { count: calls.length })}: {names}
      </summary>
      {calls.map((call, i) => (
        <div key={i} className="tool" data-testid="tool-call">
          <div className="row">
            <span className="name">{call.name}</span>
            {call.ok ? <span className="badge green">ok</span> : <span className="badge red">error</span>}
            <span className="muted small">{Math.round(call.latency_ms)} ms</span>
          </div>
          <div className="small muted">arguments</div>
          <pre>{pretty(call.args)}</pre>
          <div className="small muted">result</div>
          <pre>{pretty(call.result)}</pre>
        </div>
      ))}
    </details>
  );
}
