"use client";

import "react-day-picker/style.css";

import { useEffect, useId, useRef, useState } from "react";
import { DayPicker } from "react-day-picker";
import { enGB, es } from "react-day-picker/locale";

import { formatDay } from "@/app/lib/time";

const PICKER_LOCALES = { en: enGB, es } as const;

function toIso(day: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

function fromIso(date: string): Date {
  return new Date(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
}

/**
 * A date chosen from a month calendar written in the business's locale (a native date input
 * would follow the browser's instead, e.g. mm/dd/yyyy in an en-US browser). Weeks start on Monday.
 */
export function DatePicker({
  label,
  value,
  onChange,
  lang,
  locale,
  name,
}: {
  label: string;
  value: string;
  onChange: (date: string) => void;
  lang: "en" | "es";
  locale: string;
  name?: string;
}) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const id = useId();
  // Closed by a choice or Escape, the focus goes back to the button (not to the page's start);
  // closed by a click elsewhere, it stays where that click put it.
  const closeToButton = () => {
    setOpen(false);
    button.current?.focus();
  };
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setOpen(false);
      button.current?.focus();
    };
    const onClick = (e: MouseEvent) => box.current && !box.current.contains(e.target as Node) && setOpen(false);
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);
  return (
    <div className="date-picker" ref={box}>
      <span className="field-label" id={`${id}-label`}>
        {label}
      </span>
      <button
        ref={button}
        type="button"
        className="secondary date-button"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-labelledby={`${id}-label ${id}-value`}
        onClick={() => setOpen(!open)}
        data-testid="date-picker"
      >
        <span id={`${id}-value`}>{formatDay(value, "long", locale)}</span>
      </button>
      {name ? <input type="hidden" name={name} value={value} /> : null}
      {open ? (
        <div className="date-popover" role="dialog" aria-label={label}>
          <DayPicker
            mode="single"
            required
            locale={PICKER_LOCALES[lang]}
            weekStartsOn={1}
            selected={fromIso(value)}
            defaultMonth={fromIso(value)}
            onSelect={(day: Date | undefined) => {
              if (!day) return;
              onChange(toIso(day));
              closeToButton();
            }}
            autoFocus
          />
        </div>
      ) : null}
    </div>
  );
}
