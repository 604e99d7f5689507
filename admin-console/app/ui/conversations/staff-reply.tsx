"use client";

import { useTranslations } from "use-intl/react";
import { useState, useTransition } from "react";

import { sendStaffMessage } from "@/app/lib/actions";
import { useFailureText } from "@/app/ui/use-problem-text";

/** Answer the customer as yourself: sent on their channel, shown in the thread under your name. */
export function StaffReply({ businessId, customerId }: { businessId: number; customerId: number }) {
  const [text, setText] = useState("");
  const [pending, startTransition] = useTransition();
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string } | null>(null);
  const t = useTranslations("thread");
  const failureText = useFailureText();
  return (
    <form
      className="staff-reply"
      aria-label={t("replyForm")}
      onSubmit={(event) => {
        event.preventDefault();
        startTransition(async () => {
          const result = await sendStaffMessage(businessId, customerId, text);
          setOutcome(
            result.ok
              ? { ok: true, message: result.message ?? t("sent") }
              : { ok: false, message: failureText(result) || t("notSent") },
          );
          if (result.ok) setText("");
        });
      }}
    >
      <label htmlFor="staff-reply-text">{t("replyLabel")}</label>
      <textarea
        id="staff-reply-text"
        rows={3}
        maxLength={4096}
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder={t("replyPlaceholder")}
      />
      <div className="row">
        <button type="submit" disabled={pending || !text.trim()}>
          {pending ? t("sending") : t("send")}
        </button>
        {outcome ? (
          <span className={outcome.ok ? "small" : "field-error"} role={outcome.ok ? "status" : "alert"}>
            {outcome.message}
          </span>
        ) : null}
      </div>
    </form>
  );
}
