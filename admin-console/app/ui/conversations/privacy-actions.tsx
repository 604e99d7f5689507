"use client";

import { useState, useTransition } from "react";

import { eraseCustomer } from "@/app/lib/actions";

/** A customer's data on their request: download it as JSON, or erase it (asked twice). */
export function PrivacyActions({
  businessId,
  customerId,
  erased,
}: {
  businessId: number;
  customerId: number;
  erased: boolean;
}) {
  const [confirming, setConfirming] = useState(false);
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const exportHref = `/businesses/${businessId}/conversations/${customerId}/export`;
  return (
    <div className="row" style={{ flexWrap: "wrap" }}>
      <a className="button secondary" href={exportHref} download>
        Export JSON
      </a>
      {erased ? null : confirming ? (
        <span role="group" aria-label="Confirm erasure" className="row">
          <span className="small">
            Erase this customer&apos;s messages, name and number, and cancel their upcoming appointments? This cannot be
            undone.
          </span>
          <button
            type="button"
            className="danger"
            disabled={pending}
            onClick={() =>
              startTransition(async () => {
                const result = await eraseCustomer(businessId, customerId);
                setError(result.ok ? null : result.message);
                if (result.ok) setConfirming(false);
              })
            }
          >
            {pending ? "Erasing…" : "Erase for good"}
          </button>
          <button type="button" className="secondary" disabled={pending} onClick={() => setConfirming(false)}>
            Keep
          </button>
        </span>
      ) : (
        <button type="button" className="secondary" onClick={() => setConfirming(true)}>
          Erase
        </button>
      )}
      {error ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
