"use client";

import { useRef, useState, useTransition } from "react";
import { useTranslations } from "use-intl/react";

import { cancelAppointment } from "@/app/lib/actions";

/** Cancel one appointment after an explicit confirmation (and optionally tell the customer). */
export function CancelButton({
  businessId,
  appointmentId,
  summary,
}: {
  businessId: number;
  appointmentId: number;
  summary: string;
}) {
  const t = useTranslations("cancel");
  const dialog = useRef<HTMLDialogElement>(null);
  const [notify, setNotify] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const titleId = `cancel-title-${appointmentId}`;

  function confirm() {
    startTransition(async () => {
      const result = await cancelAppointment(businessId, appointmentId, notify);
      if (result.ok) dialog.current?.close();
      else setError(result.message);
    });
  }

  return (
    <>
      <button
        type="button"
        className="link danger"
        aria-label={t("aria", { summary })}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        {t("button")}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{t("title")}</h2>
        <p>{summary}</p>
        <label className="row" style={{ fontWeight: 400 }}>
          <input type="checkbox" checked={notify} onChange={(e) => setNotify(e.target.checked)} />
          {t("notify")}
        </label>
        {error ? (
          <p className="notice error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="button" className="danger" onClick={confirm} disabled={pending}>
            {pending ? t("busy") : t("yes")}
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()} disabled={pending}>
            {t("keep")}
          </button>
        </div>
      </dialog>
    </>
  );
}
