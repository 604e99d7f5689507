"use client";

import { useTranslations } from "use-intl/react";
import { useState, useTransition } from "react";

import { eraseCustomer } from "@/app/lib/actions";
import { useFailureText } from "@/app/ui/use-problem-text";

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
  const t = useTranslations("thread");
  const failureText = useFailureText();
  const exportHref = `/businesses/${businessId}/conversations/${customerId}/export`;
  return (
    <div className="row" style={{ flexWrap: "wrap" }}>
      <a className="button secondary" href={exportHref} download>
        {t("export")}
      </a>
      {erased ? null : confirming ? (
        <span role="group" aria-label={t("confirmErase")} className="row">
          <span className="small">{t("eraseQuestion")}</span>
          <button
            type="button"
            className="danger"
            disabled={pending}
            onClick={() =>
              startTransition(async () => {
                const result = await eraseCustomer(businessId, customerId);
                setError(result.ok ? null : failureText(result));
                if (result.ok) setConfirming(false);
              })
            }
          >
            {pending ? t("erasing") : t("eraseForGood")}
          </button>
          <button type="button" className="secondary" disabled={pending} onClick={() => setConfirming(false)}>
            {t("keep")}
          </button>
        </span>
      ) : (
        <button type="button" className="secondary" onClick={() => setConfirming(true)}>
          {t("erase")}
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
