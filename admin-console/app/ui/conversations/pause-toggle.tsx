"use client";

import { useTranslations } from "use-intl/react";
import { useState, useTransition } from "react";

import { setBotPaused } from "@/app/lib/actions";
import { useFailureText } from "@/app/ui/use-problem-text";

/** Human takeover: stop (or restart) the bot's replies to one customer. */
export function PauseToggle({
  businessId,
  customerId,
  paused,
}: {
  businessId: number;
  customerId: number;
  paused: boolean;
}) {
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const t = useTranslations("thread");
  const failureText = useFailureText();
  return (
    <div className="row">
      <button
        type="button"
        className={paused ? undefined : "secondary"}
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await setBotPaused(businessId, customerId, !paused);
            setError(result.ok ? null : failureText(result));
          })
        }
      >
        {pending ? t("saving") : paused ? t("resume") : t("pause")}
      </button>
      {error ? (
        <span className="field-error" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
