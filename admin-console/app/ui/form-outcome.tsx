"use client";

import type { ActionResult } from "@/app/lib/definitions";
import { useFailureText } from "@/app/ui/use-problem-text";

/** What became of a form's last submission, announced politely: its success message, or why it
 * failed in the reader's language (bad fields are shown under each field, by the form). */
export function FormOutcome<T>({ state }: { state: ActionResult<T> | undefined }) {
  const failureText = useFailureText();
  return (
    <span aria-live="polite">
      {state?.ok ? <span className="notice ok">{state.message}</span> : null}
      {state && !state.ok ? (
        <span className="notice error" role="alert">
          {failureText(state)}
        </span>
      ) : null}
    </span>
  );
}
