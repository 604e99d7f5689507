"use client";

import { useState, useTransition } from "react";

import type { ActionResult } from "@/app/lib/definitions";
import { useFailureText } from "@/app/ui/use-problem-text";

/** A small row button that runs a server action, asking first when `confirm` is given. */
export function RowAction({
  run,
  label,
  ariaLabel,
  confirm,
  danger = false,
}: {
  run: () => Promise<ActionResult>;
  label: string;
  ariaLabel: string;
  confirm?: string;
  danger?: boolean;
}) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const failureText = useFailureText();
  return (
    <span className="row">
      <button
        type="button"
        className={`link${danger ? " danger" : ""}`}
        aria-label={ariaLabel}
        disabled={pending}
        onClick={() => {
          if (confirm && !window.confirm(confirm)) return;
          startTransition(async () => {
            const result = await run();
            setError(result.ok ? null : failureText(result));
          });
        }}
      >
        {pending ? "…" : label}
      </button>
      {error ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}
