"use client";

import { useRef, useState, useTransition } from "react";
import { useTranslations } from "use-intl/react";

import { markNoShow, moveBooking } from "@/app/lib/actions";
import type { Refusal } from "@/app/lib/definitions";
import type { Lang } from "@/app/lib/locale";
import { DatePicker } from "@/app/ui/date-picker";
import { useProblemText } from "@/app/ui/use-problem-text";

import { type Outcome, OutcomeNotice } from "./outcome-notice";
import { Alternatives, NoTimesReason, TimeSelect } from "./time-select";
import { useSlots } from "./use-slots";

/** Move an appointment to another free time (same rules as the bot; it keeps its number). */
export function MoveForm({
  businessId,
  appointmentId,
  serviceId,
  date: initialDate,
  timeZone,
  lang,
  locale,
}: {
  businessId: number;
  appointmentId: number;
  serviceId: number;
  date: string;
  timeZone: string;
  lang: Lang;
  locale: string;
}) {
  const t = useTranslations("appointment");
  const [date, setDate] = useState(initialDate);
  const [startsAt, setStartsAt] = useState("");
  const [message, setMessage] = useState<Outcome | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [pending, startTransition] = useTransition();
  const [refresh, setRefresh] = useState(0);
  // Set at once, unlike `pending`: a double click's second click comes before the next render.
  const moving = useRef(false);
  const { slots, reason, error } = useSlots(businessId, serviceId, date, refresh);
  const problemText = useProblemText();
  // Only a time of the current list counts: one picked on another day is gone with it.
  const picked = slots?.includes(startsAt) ? startsAt : "";

  function move(at: string) {
    if (moving.current) return;
    moving.current = true;
    startTransition(async () => {
      try {
        const result = await moveBooking(businessId, appointmentId, at);
        setRefusal(result.ok ? null : (result.refusal ?? null));
        setMessage({ ok: result.ok, text: result.ok ? t("moved_ok") : problemText(result) });
        setRefresh((n) => n + 1);
      } finally {
        moving.current = false;
      }
    });
  }
  return (
    <form
      className="stack"
      aria-label={t("moveTitle")}
      onSubmit={(e) => {
        e.preventDefault();
        if (picked) move(picked);
      }}
    >
      <h3>{t("moveTitle")}</h3>
      <div className="form-grid">
        <DatePicker
          label={t("when")}
          value={date}
          onChange={(d) => {
            setDate(d);
            setStartsAt("");
          }}
          lang={lang}
          locale={locale}
        />
        <label htmlFor={`move-time-${appointmentId}`}>
          {t("when")} (h)
          <TimeSelect
            id={`move-time-${appointmentId}`}
            slots={slots}
            value={picked}
            onChange={setStartsAt}
            timeZone={timeZone}
            locale={locale}
            describedBy={`move-time-${appointmentId}-why`}
          />
        </label>
      </div>
      <NoTimesReason id={`move-time-${appointmentId}-why`} slots={slots} reason={reason} error={error} />
      <OutcomeNotice outcome={message} />
      {refusal ? (
        <Alternatives
          alternatives={refusal.alternatives}
          onPick={move}
          timeZone={timeZone}
          locale={locale}
          disabled={pending}
        />
      ) : null}
      <div className="form-actions">
        <button type="submit" disabled={pending || !picked}>
          {t("move")}
        </button>
      </div>
    </form>
  );
}

/** Record that the customer did not come. */
export function NoShowButton({ businessId, appointmentId }: { businessId: number; appointmentId: number }) {
  const t = useTranslations("appointment");
  const problemText = useProblemText();
  const [message, setMessage] = useState<Outcome | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <div className="row">
      <button
        type="button"
        className="secondary"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            const result = await markNoShow(businessId, appointmentId);
            setMessage({ ok: result.ok, text: result.ok ? t("noShowDone") : problemText(result) });
          })
        }
      >
        {t("noShow")}
      </button>
      <OutcomeNotice outcome={message} inline />
    </div>
  );
}
