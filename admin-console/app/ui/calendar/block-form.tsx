"use client";

import { useState, useTransition } from "react";
import { useTranslations } from "use-intl/react";

import { blockTime } from "@/app/lib/actions";
import type { Lang } from "@/app/lib/locale";
import { formatMinutes, wallToUtc } from "@/app/lib/time";
import { DatePicker } from "@/app/ui/date-picker";
import { useProblemText } from "@/app/ui/use-problem-text";

import { type Outcome, OutcomeNotice } from "./outcome-notice";

const QUARTERS = Array.from({ length: 24 * 4 + 1 }, (_, i) => i * 15);

/** Block a stretch of time (a holiday, a staff absence): neither staff nor the bot can book it. */
export function BlockForm({
  businessId,
  date: initialDate,
  timeZone,
  lang,
  locale,
}: {
  businessId: number;
  date: string;
  timeZone: string;
  lang: Lang;
  locale: string;
}) {
  const t = useTranslations("block");
  const tp = useTranslations("problems");
  const problemText = useProblemText();
  const [fromDate, setFromDate] = useState(initialDate);
  const [fromTime, setFromTime] = useState(9 * 60);
  const [untilDate, setUntilDate] = useState(initialDate);
  const [untilTime, setUntilTime] = useState(18 * 60);
  const [reason, setReason] = useState("");
  const [message, setMessage] = useState<Outcome | null>(null);
  const [pending, startTransition] = useTransition();

  function submit(e: React.FormEvent) {
    e.preventDefault();
    const startsAt = wallToUtc(fromDate, fromTime, timeZone);
    const endsAt = wallToUtc(untilDate, untilTime, timeZone);
    // A block ends after it starts: said here, in words, without asking the API.
    if (new Date(endsAt).getTime() <= new Date(startsAt).getTime()) {
      setMessage({ ok: false, text: tp("endBeforeStart") });
      return;
    }
    startTransition(async () => {
      const result = await blockTime(businessId, { starts_at: startsAt, ends_at: endsAt, reason });
      if (result.ok) setMessage({ ok: true, text: t("blocked", { count: result.data?.overlapping ?? 0 }) });
      else setMessage({ ok: false, text: problemText(result) });
    });
  }

  const timeOptions = QUARTERS.map((m) => (
    <option key={m} value={m}>
      {formatMinutes(m % 1440, locale)}
      {m === 1440 ? " (24:00)" : ""}
    </option>
  ));
  return (
    <form className="stack" aria-label={t("title")} onSubmit={submit}>
      <div className="form-grid">
        <DatePicker label={t("from")} value={fromDate} onChange={setFromDate} lang={lang} locale={locale} />
        <label>
          <span className="visually-hidden">{t("from")}</span>
          <select
            aria-label={`${t("from")} (h)`}
            value={fromTime}
            onChange={(e) => setFromTime(Number(e.target.value))}
          >
            {timeOptions}
          </select>
        </label>
        <DatePicker label={t("until")} value={untilDate} onChange={setUntilDate} lang={lang} locale={locale} />
        <label>
          <span className="visually-hidden">{t("until")}</span>
          <select
            aria-label={`${t("until")} (h)`}
            value={untilTime}
            onChange={(e) => setUntilTime(Number(e.target.value))}
          >
            {timeOptions}
          </select>
        </label>
        <label>
          {t("reason")}
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={200} />
        </label>
      </div>
      <OutcomeNotice outcome={message} />
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {t("submit")}
        </button>
      </div>
    </form>
  );
}
