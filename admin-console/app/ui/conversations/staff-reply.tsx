"use client";

import { useState, useTransition } from "react";

import { sendStaffMessage } from "@/app/lib/actions";

/** Answer the customer as yourself: sent on their channel, shown in the thread under your name. */
export function StaffReply({ businessId, customerId }: { businessId: number; customerId: number }) {
  const [text, setText] = useState("");
  const [pending, startTransition] = useTransition();
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string } | null>(null);
  return (
    <form
      className="staff-reply"
      aria-label="Reply to the customer"
      onSubmit={(event) => {
        event.preventDefault();
        startTransition(async () => {
          const result = await sendStaffMessage(businessId, customerId, text);
          setOutcome({ ok: result.ok, message: result.message ?? (result.ok ? "Reply sent." : "Not sent.") });
          if (result.ok) setText("");
        });
      }}
    >
      <label htmlFor="staff-reply-text">Your reply</label>
      <textarea
        id="staff-reply-text"
        rows={3}
        maxLength={4096}
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder="Write to the customer as yourself; the bot stays quiet while you do."
      />
      <div className="row">
        <button type="submit" disabled={pending || !text.trim()}>
          {pending ? "Sending…" : "Send reply"}
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
