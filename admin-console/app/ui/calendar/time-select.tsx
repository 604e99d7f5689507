"use client";

import { useTranslations } from "use-intl/react";

import { formatTime } from "@/app/lib/time";

/** A start time chosen among the free ones (written in the business's locale and timezone). */
export function TimeSelect({
  id,
  slots,
  value,
  onChange,
  timeZone,
  locale,
}: {
  id: string;
  slots: string[] | null;
  value: string;
  onChange: (iso: string) => void;
  timeZone: string;
  locale: string;
}) {
  const t = useTranslations("booking");
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={!slots?.length} required>
      <option value="">{slots === null ? t("loadingTimes") : slots.length ? t("chooseTime") : t("noTimes")}</option>
      {(slots ?? []).map((s) => (
        <option key={s} value={s}>
          {formatTime(s, timeZone, locale)}
        </option>
      ))}
    </select>
  );
}

/** Free times near a refused one, each a button that tries it. */
export function Alternatives({
  alternatives,
  onPick,
  timeZone,
  locale,
}: {
  alternatives: string[];
  onPick: (iso: string) => void;
  timeZone: string;
  locale: string;
}) {
  const t = useTranslations("booking");
  if (!alternatives.length) return null;
  return (
    <div className="row" data-testid="alternatives">
      <span className="small">{t("alternatives")}</span>
      {alternatives.map((iso) => (
        <button key={iso} type="button" className="secondary small-button" onClick={() => onPick(iso)}>
          {new Intl.DateTimeFormat(locale, { timeZone, weekday: "short", day: "numeric", month: "short" }).format(
            new Date(iso),
          )}{" "}
          {formatTime(iso, timeZone, locale)}
        </button>
      ))}
    </div>
  );
}
