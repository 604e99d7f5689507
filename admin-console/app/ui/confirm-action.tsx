"use client";

import { type ReactNode, useId, useRef, useState, useTransition } from "react";

import type { ActionResult } from "@/app/lib/definitions";
import { useFailureText } from "@/app/ui/use-problem-text";

/** A button that asks first: a dialog naming what it acts on (`summary`), with any options
 * (`children`), runs `action` when confirmed, and says why when it is refused. */
export function ConfirmAction({
  button,
  ariaLabel,
  className,
  title,
  summary,
  yes,
  busy,
  keep,
  action,
  children,
}: {
  button: string;
  ariaLabel: string;
  className: string;
  title: string;
  summary: string;
  yes: string;
  busy: string;
  keep: string;
  action: () => Promise<ActionResult>;
  children?: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const failureText = useFailureText();
  const [pending, startTransition] = useTransition();
  const titleId = useId();

  function confirm() {
    startTransition(async () => {
      const result = await action();
      // The page is drawn again without it (the action revalidates it).
      if (result.ok) dialog.current?.close();
      else setError(failureText(result));
    });
  }

  return (
    <>
      <button
        type="button"
        className={className}
        aria-label={ariaLabel}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        {button}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{title}</h2>
        <p>{summary}</p>
        {children}
        {error ? (
          <p className="notice error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="button" className="danger" onClick={confirm} disabled={pending}>
            {pending ? busy : yes}
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()} disabled={pending}>
            {keep}
          </button>
        </div>
      </dialog>
    </>
  );
}
