"use client";

import { useState } from "react";

import { saveSettings } from "@/app/lib/actions";
import type { Business } from "@/app/lib/definitions";

import { Field, SaveBar, intOrRaw } from "./field";
import { useSave } from "./use-save";

const RULES = [
  { key: "max_concurrent", label: "Capacity (at the same time)", min: 1, max: 1000, hint: "Chairs, rooms or people." },
  {
    key: "slot_step_minutes",
    label: "Slot step (minutes)",
    min: 5,
    max: 240,
    hint: "Start times are offered every this many minutes.",
  },
  {
    key: "buffer_minutes",
    label: "Buffer after each (minutes)",
    min: 0,
    max: 1440,
    hint: "Kept free after each appointment before the next.",
  },
  {
    key: "min_notice_minutes",
    label: "Minimum notice (minutes)",
    min: 0,
    max: 525600,
    hint: "How soon before the start a booking is still accepted.",
  },
  { key: "horizon_days", label: "Booking horizon (days)", min: 1, max: 365, hint: "How far ahead customers may book." },
] as const;

type Key = (typeof RULES)[number]["key"];

/** Capacity and the booking rules the availability search applies. */
export function RulesForm({ business }: { business: Business }) {
  const [form, setForm] = useState<Record<Key, string>>(() => ({
    max_concurrent: String(business.max_concurrent),
    slot_step_minutes: String(business.slot_step_minutes),
    buffer_minutes: String(business.buffer_minutes),
    min_notice_minutes: String(business.min_notice_minutes),
    horizon_days: String(business.horizon_days),
  }));
  const { pending, result, save, errorFor, unplaced } = useSave();

  function submit(event: React.FormEvent) {
    event.preventDefault();
    const settings = Object.fromEntries(RULES.map(({ key }) => [key, intOrRaw(form[key])]));
    save(() => saveSettings(business.id, settings));
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="rules-title" noValidate>
      <h2 id="rules-title">Capacity and booking rules</h2>
      <div className="fields">
        {RULES.map((rule) => (
          <Field
            key={rule.key}
            label={rule.label}
            type="number"
            inputMode="numeric"
            min={rule.min}
            max={rule.max}
            value={form[rule.key]}
            onChange={(event) => setForm((f) => ({ ...f, [rule.key]: event.target.value }))}
            error={errorFor(rule.key)}
            hint={rule.hint}
          />
        ))}
      </div>
      <SaveBar
        pending={pending}
        result={result}
        label="Save rules"
        leftover={unplaced((p) => RULES.some((r) => r.key === p))}
      />
    </form>
  );
}
