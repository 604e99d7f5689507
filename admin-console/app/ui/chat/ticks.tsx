"use client";

import { useTranslations } from "use-intl/react";

// Delivery state of an outbound message, the way WhatsApp draws it.

const LABELLED = ["queued", "sent", "delivered", "read", "played", "failed"] as const;

export function Ticks({ status }: { status: string }) {
  const t = useTranslations("bubble.ticks");
  const known = LABELLED.find((s) => s === status);
  const label = known ? t(known) : status;
  switch (status) {
    case "queued":
      return (
        <span className="ticks" role="img" aria-label={label} title={label}>
          <svg width="11" height="11" viewBox="0 0 16 16" aria-hidden="true">
            <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
            <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
          </svg>
        </span>
      );
    case "sent":
      return (
        <span className="ticks" role="img" aria-label={label} title={label}>
          ✓
        </span>
      );
    case "delivered":
      return (
        <span className="ticks" role="img" aria-label={label} title={label}>
          ✓✓
        </span>
      );
    case "read":
    case "played":
      return (
        <span className="ticks read" role="img" aria-label={label} title={label}>
          ✓✓
        </span>
      );
    case "failed":
      return (
        <span className="ticks failed" role="img" aria-label={label} title={label}>
          ⚠
        </span>
      );
    default:
      return <span className="visually-hidden">{label}</span>;
  }
}
