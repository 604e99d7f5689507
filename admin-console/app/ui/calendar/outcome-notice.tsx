/** What the calendar's forms say once an action is done or refused. */
export type Outcome = { ok: boolean; text: string };

/** The outcome as a notice: announced politely when done, as an alert when refused. */
export function OutcomeNotice({ outcome, inline = false }: { outcome: Outcome | null; inline?: boolean }) {
  if (!outcome) return null;
  const Tag = inline ? "span" : "p";
  return (
    <Tag className={`notice ${outcome.ok ? "ok" : "error"}`} role={outcome.ok ? "status" : "alert"}>
      {outcome.text}
    </Tag>
  );
}
