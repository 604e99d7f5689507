"use client";

import { useId, useRef, useState, useTransition } from "react";
import { useTranslations } from "use-intl/react";

import { unblockTime } from "@/app/lib/actions";

/** Unblock a blocked time after an explicit confirmation (as cancelling an appointment asks). */
export function UnblockButton({
  businessId,
  blockId,
  summary,
}: {
  businessId: number;
  blockId: number;
  /** When the block is and why, e.g. "Tue 22 Dec, 11:00–12:00 (Training)". */
  summary: string;
}) {
  const t = useTranslations("block");
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const titleId = useId();

  function confirm() {
    startTransition(async () => {
      const result = await unblockTime(businessId, blockId);
      // The calendar is drawn again without it (the action revalidates the page).
      if (result.ok) dialog.current?.close();
      else setError(result.message);
    });
  }

  return (
    <>
      <button
        type="button"
        className="link danger unblock"
        aria-label={t("removeAria", { summary })}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        {t("remove")}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{t("removeTitle")}</h2>
        <p>{summary}</p>
        {error ? (
          <p className="notice error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="button" className="danger" onClick={confirm} disabled={pending}>
            {pending ? t("removing") : t("removeYes")}
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()} disabled={pending}>
            {t("keep")}
          </button>
        </div>
      </dialog>
    </>
  );
}
