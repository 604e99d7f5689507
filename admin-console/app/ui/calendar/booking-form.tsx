"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, useTransition } from "react";
import { useTranslations } from "use-intl/react";

import { bookForCustomer } from "@/app/lib/actions";
import type { Refusal, Service } from "@/app/lib/definitions";
import type { Lang } from "@/app/lib/locale";
import { DatePicker } from "@/app/ui/date-picker";
import { useProblemText } from "@/app/ui/use-problem-text";

import { type Outcome, OutcomeNotice } from "./outcome-notice";
import { Alternatives, NoTimesReason, TimeSelect } from "./time-select";
import { useSlots } from "./use-slots";

/** Book for a customer who phoned or walked in: a free time of the bot's own availability. */
export function BookingForm({
  businessId,
  services,
  date: initialDate,
  timeZone,
  lang,
  locale,
  openHref,
}: {
  businessId: number;
  services: Service[];
  date: string;
  timeZone: string;
  lang: Lang;
  locale: string;
  openHref: string;
}) {
  const t = useTranslations("booking");
  const router = useRouter();
  const [serviceId, setServiceId] = useState(services[0]?.id ?? 0);
  const [date, setDate] = useState(initialDate);
  const [startsAt, setStartsAt] = useState("");
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [refresh, setRefresh] = useState(0);
  const [message, setMessage] = useState<Outcome | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [pending, startTransition] = useTransition();
  // Set at once, unlike `pending`: a double click's second click comes before the next render.
  const booking = useRef(false);
  // The Idempotency-Key of the booking being made: sent again with the same fields (a retry after
  // an answer that never came back), it books once; other fields are another booking, a new key.
  const attempt = useRef<{ fields: string; key: string } | null>(null);
  const { slots, reason, error } = useSlots(businessId, serviceId, date, refresh);
  const problemText = useProblemText();
  // Only a time of the current list counts: one picked for another day or service is gone with it
  // (and while the list loads there is none).
  const picked = slots?.includes(startsAt) ? startsAt : "";

  function book(at: string) {
    if (booking.current) return;
    booking.current = true;
    const fields = { service: serviceId, starts_at: at, customer_name: name, customer_phone: phone };
    const signature = JSON.stringify(fields);
    if (attempt.current?.fields !== signature) attempt.current = { fields: signature, key: newRequestKey() };
    const key = attempt.current.key;
    startTransition(async () => {
      try {
        const result = await bookForCustomer(businessId, fields, key);
        setRefusal(result.ok ? null : (result.refusal ?? null));
        setMessage(result.ok ? { ok: true, text: t("booked") } : { ok: false, text: problemText(result) });
        if (result.ok) {
          attempt.current = null; // booked: the next booking is another one
          setStartsAt("");
          setName("");
          setPhone("");
          router.push(`${openHref}${result.data?.id ?? ""}`, { scroll: false });
        }
        setRefresh((n) => n + 1);
      } finally {
        booking.current = false;
      }
    });
  }

  return (
    <form
      className="stack"
      aria-label={t("title")}
      onSubmit={(e) => {
        e.preventDefault();
        if (picked) book(picked);
      }}
    >
      <div className="form-grid">
        <label>
          {t("service")}
          <select
            value={serviceId}
            onChange={(e) => {
              setServiceId(Number(e.target.value));
              setStartsAt("");
            }}
          >
            {services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} ({s.duration_minutes} min)
              </option>
            ))}
          </select>
        </label>
        <DatePicker
          label={t("date")}
          value={date}
          onChange={(d) => {
            setDate(d);
            setStartsAt("");
          }}
          lang={lang}
          locale={locale}
        />
        <label htmlFor="booking-time">
          {t("time")}
          <TimeSelect
            id="booking-time"
            slots={slots}
            value={picked}
            onChange={setStartsAt}
            timeZone={timeZone}
            locale={locale}
            describedBy="booking-time-why"
          />
        </label>
        <label>
          {t("name")}
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} autoComplete="off" />
        </label>
        <label>
          {t("phone")}
          <input value={phone} onChange={(e) => setPhone(e.target.value)} inputMode="tel" autoComplete="off" />
        </label>
      </div>
      <NoTimesReason id="booking-time-why" slots={slots} reason={reason} error={error} />
      <OutcomeNotice outcome={message} />
      {refusal ? (
        <Alternatives
          alternatives={refusal.alternatives}
          onPick={book}
          timeZone={timeZone}
          locale={locale}
          disabled={pending}
        />
      ) : null}
      <div className="form-actions">
        <button type="submit" disabled={pending || !picked}>
          {pending ? t("booking") : t("submit")}
        </button>
      </div>
    </form>
  );
}

/** A fresh random key (crypto.randomUUID needs a secure context; getRandomValues does not). */
function newRequestKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
