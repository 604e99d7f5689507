"use client";

import { useTranslations } from "use-intl/react";
import { useState, useTransition } from "react";

import { eraseCustomer, exportCustomer } from "@/app/lib/actions";
import { useFailureText } from "@/app/ui/use-problem-text";

/** Offer `text` to the browser as a file download named `name`. */
function download(text: string, name: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  // Revoked once the click has been handled, not before the browser has read the file.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/** A customer's data on their request: download it as JSON (fetched first, so a refusal is said
 * on the page, not as a failed download), or erase it (asked twice). */
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
  const [exporting, startExport] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const t = useTranslations("thread");
  const failureText = useFailureText();
  return (
    <div className="row" style={{ flexWrap: "wrap" }}>
      <button
        type="button"
        className="secondary"
        disabled={exporting}
        onClick={() =>
          startExport(async () => {
            const result = await exportCustomer(businessId, customerId);
            setError(result.ok ? null : failureText(result));
            if (result.ok && result.data) download(result.data, `customer-${businessId}-${customerId}.json`);
          })
        }
      >
        {exporting ? t("exporting") : t("export")}
      </button>
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
