"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { saveSettings } from "@/app/lib/actions";
import { WEEKDAYS, type Business, type OpeningHours, type Weekday } from "@/app/lib/definitions";
import type { Lang } from "@/app/lib/locale";
import { formatDay, todayIn } from "@/app/lib/time";
import { DatePicker } from "@/app/ui/date-picker";

import { Field, SaveBar } from "./field";
import { useSave } from "./use-save";

type Break = { key: number; start: string; end: string };
type Day = { open: boolean; from: string; to: string; breaks: Break[] };

let nextKey = 1;

function toDays(hours: OpeningHours): Record<Weekday, Day> {
  return Object.fromEntries(
    WEEKDAYS.map((d) => {
      const h = hours[d];
      return [
        d,
        {
          open: Boolean(h),
          from: h?.open ?? "09:00",
          to: h?.close ?? "18:00",
          breaks: (h?.breaks ?? []).map(([start, end]) => ({ key: nextKey++, start, end })),
        },
      ];
    }),
  ) as Record<Weekday, Day>;
}

/** Weekly opening hours with breaks, and the dates the business is closed. */
export function HoursForm({ business, lang, locale }: { business: Business; lang: Lang; locale: string }) {
  const t = useTranslations("settings.hours");
  const [days, setDays] = useState(() => toDays(business.opening_hours));
  const [closed, setClosed] = useState<string[]>(() => [...business.closed_dates].sort());
  const [newDate, setNewDate] = useState(() => todayIn(business.timezone));
  const { pending, result, save, errorFor, unplaced } = useSave();

  const setDay = (d: Weekday, change: Partial<Day>) => setDays((all) => ({ ...all, [d]: { ...all[d], ...change } }));
  const setBreak = (d: Weekday, key: number, change: Partial<Break>) =>
    setDay(d, { breaks: days[d].breaks.map((b) => (b.key === key ? { ...b, ...change } : b)) });

  function submit(event: React.FormEvent) {
    event.preventDefault();
    const opening_hours: OpeningHours = Object.fromEntries(
      WEEKDAYS.map((d) => {
        const day = days[d];
        if (!day.open) return [d, null];
        return [
          d,
          {
            open: day.from.trim(),
            close: day.to.trim(),
            breaks: day.breaks.map((b) => [b.start.trim(), b.end.trim()]),
          },
        ];
      }),
    );
    save(() => saveSettings(business.id, { opening_hours, closed_dates: closed }));
  }

  function addDate() {
    if (closed.includes(newDate)) return;
    setClosed((all) => [...all, newDate].sort()); // the picker keeps the date (it always shows one)
  }

  const dayError = (d: Weekday) => errorFor(`opening_hours.${d}`);
  const placed = (p: string) =>
    /^opening_hours\.(mon|tue|wed|thu|fri|sat|sun)(\.(open|close|breaks\.\d+(\.\d+)?))?$/.test(p) ||
    /^closed_dates(\.\d+)?$/.test(p);

  return (
    <form className="card" onSubmit={submit} aria-labelledby="hours-title" noValidate>
      <h2 id="hours-title">{t("title")}</h2>
      <p className="muted small">{t("hint", { timeZone: business.timezone })}</p>
      <div>
        {WEEKDAYS.map((d) => {
          const day = days[d];
          const name = t(`days.${d}`);
          const errorsId = `hours-${d}-errors`;
          const openError = errorFor(`opening_hours.${d}.open`);
          const closeError = errorFor(`opening_hours.${d}.close`);
          const breakErrors = day.breaks.map((_, i) =>
            [`${i}`, `${i}.0`, `${i}.1`].map((k) => errorFor(`opening_hours.${d}.breaks.${k}`)).find(Boolean),
          );
          const messages = [
            dayError(d),
            openError && t("openingError", { error: openError }),
            closeError && t("closingError", { error: closeError }),
            ...breakErrors.map((e, i) => e && t("breakError", { n: i + 1, error: e })),
          ].filter(Boolean);
          return (
            <div key={d} className="day-row" data-testid={`day-${d}`}>
              <div className="day-name">
                <label className="row" style={{ fontWeight: 600 }}>
                  <input type="checkbox" checked={day.open} onChange={(e) => setDay(d, { open: e.target.checked })} />
                  <span>
                    <span className="visually-hidden">{t("openOn")}</span>
                    {name}
                  </span>
                </label>
              </div>
              {day.open ? (
                <div className="times">
                  <Field
                    hideLabel
                    label={t("opens", { day: name })}
                    value={day.from}
                    onChange={(e) => setDay(d, { from: e.target.value })}
                    invalidBy={openError ? errorsId : undefined}
                    placeholder="09:00"
                    maxLength={5}
                    inputMode="numeric"
                  />
                  <span className="dash">–</span>
                  <Field
                    hideLabel
                    label={t("closes", { day: name })}
                    value={day.to}
                    onChange={(e) => setDay(d, { to: e.target.value })}
                    invalidBy={closeError ? errorsId : undefined}
                    placeholder="18:00"
                    maxLength={5}
                    inputMode="numeric"
                  />
                  {day.breaks.map((b, i) => {
                    const invalidBy = breakErrors[i] ? errorsId : undefined;
                    return (
                      <span key={b.key} className="break-row">
                        <span className="muted small">{t("break")}</span>
                        <Field
                          hideLabel
                          label={t("breakStarts", { day: name, n: i + 1 })}
                          value={b.start}
                          onChange={(e) => setBreak(d, b.key, { start: e.target.value })}
                          invalidBy={invalidBy}
                          maxLength={5}
                          inputMode="numeric"
                        />
                        <span className="dash">–</span>
                        <Field
                          hideLabel
                          label={t("breakEnds", { day: name, n: i + 1 })}
                          value={b.end}
                          onChange={(e) => setBreak(d, b.key, { end: e.target.value })}
                          invalidBy={invalidBy}
                          maxLength={5}
                          inputMode="numeric"
                        />
                        <button
                          type="button"
                          className="link danger"
                          aria-label={t("removeBreak", { day: name, n: i + 1 })}
                          onClick={() => setDay(d, { breaks: day.breaks.filter((x) => x.key !== b.key) })}
                        >
                          ×
                        </button>
                      </span>
                    );
                  })}
                  <button
                    type="button"
                    className="link"
                    onClick={() =>
                      setDay(d, { breaks: [...day.breaks, { key: nextKey++, start: "13:00", end: "14:00" }] })
                    }
                  >
                    {t("addBreak")}
                    <span className="visually-hidden">{t("addBreakOn", { day: name })}</span>
                  </button>
                </div>
              ) : (
                <div className="times muted">{t("closed")}</div>
              )}
              {messages.length ? (
                <ul id={errorsId} className="field-error day-errors" role="alert">
                  {messages.map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              ) : null}
            </div>
          );
        })}
      </div>
      <h3 style={{ marginTop: "1rem" }}>{t("closedDates")}</h3>
      <div className="chips" aria-label={t("closedDates")}>
        {closed.length === 0 ? <span className="muted small">{t("none")}</span> : null}
        {closed.map((date, i) => (
          <span key={date} className="chip">
            {formatDay(date, "long", locale)}
            {errorFor(`closed_dates.${i}`) ? (
              <span className="field-error"> {errorFor(`closed_dates.${i}`)}</span>
            ) : null}
            <button
              type="button"
              className="link danger"
              aria-label={t("removeDate", { date: formatDay(date, "long", locale) })}
              onClick={() => setClosed((all) => all.filter((x) => x !== date))}
            >
              ×
            </button>
          </span>
        ))}
      </div>
      {errorFor("closed_dates") ? <div className="field-error">{errorFor("closed_dates")}</div> : null}
      <div className="row" style={{ marginTop: "0.6rem", alignItems: "end" }}>
        <DatePicker label={t("addDate")} value={newDate} onChange={setNewDate} lang={lang} locale={locale} />
        <button type="button" className="secondary" onClick={addDate} disabled={closed.includes(newDate)}>
          {t("addDateButton")}
        </button>
      </div>
      <SaveBar pending={pending} result={result} label={t("save")} leftover={unplaced(placed)} />
    </form>
  );
}
