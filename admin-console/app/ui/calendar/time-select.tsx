"use client";

import { useTranslations } from "use-intl/react";

import { type Failure, reasonKey } from "@/app/lib/problems";
import { formatTime } from "@/app/lib/time";
import { useFailureText } from "@/app/ui/use-problem-text";

/** A start time chosen among the free ones (written in the business's locale and timezone). */
export function TimeSelect({
  id,
  slots,
  value,
  onChange,
  timeZone,
  locale,
  describedBy,
}: {
  id: string;
  slots: string[] | null;
  value: string;
  onChange: (iso: string) => void;
  timeZone: string;
  locale: string;
  /** The id of what says why there are no times (`NoTimesReason`). */
  describedBy?: string;
}) {
  const t = useTranslations("booking");
  const empty = slots !== null && !slots.length;
  return (
    <select
      id={id}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      disabled={!slots?.length}
      required
      aria-describedby={empty ? describedBy : undefined}
    >
      <option value="">{slots === null ? t("loadingTimes") : slots.length ? t("chooseTime") : t("noTimes")}</option>
      {(slots ?? []).map((s) => (
        <option key={s} value={s}>
          {formatTime(s, timeZone, locale)}
        </option>
      ))}
    </select>
  );
}

/** Why a day has no free times: the API's reason (past, beyond the horizon, …), or why they could
 * not be loaded; nothing while they load, when there are some, or for a reason not known here. */
export function NoTimesReason({
  id,
  slots,
  reason,
  error,
}: {
  id: string;
  slots: string[] | null;
  reason: string | null;
  error: Failure | null;
}) {
  const t = useTranslations("problems");
  const failureText = useFailureText();
  if (slots === null || slots.length) return null;
  const key = reason ? reasonKey(reason) : undefined;
  const text = error ? failureText(error) : key ? t(key) : null;
  if (!text) return null;
  return (
    <p id={id} className={`notice ${error ? "error" : "info"}`} data-testid="no-times">
      {text}
    </p>
  );
}

/** Free times near a refused one, each a button that tries it (none while `disabled`: a booking or
 * move is under way). */
export function Alternatives({
  alternatives,
  onPick,
  timeZone,
  locale,
  disabled = false,
}: {
  alternatives: string[];
  onPick: (iso: string) => void;
  timeZone: string;
  locale: string;
  disabled?: boolean;
}) {
  const t = useTranslations("booking");
  if (!alternatives.length) return null;
  return (
    <div className="row" data-testid="alternatives">
      <span className="small">{t("alternatives")}</span>
      {alternatives.map((iso) => (
        <button
          key={iso}
          type="button"
          className="secondary small-button"
          disabled={disabled}
          onClick={() => onPick(iso)}
        >
          {new Intl.DateTimeFormat(locale, { timeZone, weekday: "short", day: "numeric", month: "short" }).format(
            new Date(iso),
          )}{" "}
          {formatTime(iso, timeZone, locale)}
        </button>
      ))}
    </div>
  );
}
