"use client";

import { useTranslations } from "use-intl/react";
import { useState, useTransition } from "react";

import { setCustomerReminders } from "@/app/lib/actions";
import { useFailureText } from "@/app/ui/use-problem-text";

/** Turn appointment reminders off (or on again) for one customer. */
export function RemindersToggle({
  businessId,
  customerId,
  off,
}: {
  businessId: number;
  customerId: number;
  off: boolean;
}) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const t = useTranslations("thread");
  const failureText = useFailureText();
  return (
    <div className="row">
      <button
        type="button"
        className="secondary"
        disabled={pending}
        aria-pressed={off}
        onClick={() =>
          startTransition(async () => {
            const result = await setCustomerReminders(businessId, customerId, off);
            setError(result.ok ? null : failureText(result));
          })
        }
      >
        {pending ? t("saving") : off ? t("remindersOn") : t("remindersOff")}
      </button>
      {error ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
