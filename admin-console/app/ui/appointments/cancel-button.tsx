"use client";

import { useRef, useState, useTransition } from "react";

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
        aria-label={`Cancel ${summary}`}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        Cancel
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>Cancel this appointment?</h2>
        <p>{summary}</p>
        <label className="row" style={{ fontWeight: 400 }}>
          <input type="checkbox" checked={notify} onChange={(e) => setNotify(e.target.checked)} />
          Tell the customer on WhatsApp
        </label>
        {error ? (
          <p className="notice error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="form-actions">
          <button type="button" className="danger" onClick={confirm} disabled={pending}>
            {pending ? "Cancelling…" : "Yes, cancel it"}
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()} disabled={pending}>
            Keep it
          </button>
        </div>
      </dialog>
    </>
  );
}
