"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { saveSettings } from "@/app/lib/actions";
import type { Business } from "@/app/lib/definitions";

import { Field, SaveBar, intOrRaw } from "./field";
import { useSave } from "./use-save";

// Labels and hints are the messages settings.rules.<key> and settings.rules.<key>Hint.
const RULES = [
  { key: "max_concurrent", min: 1, max: 1000 },
  { key: "slot_step_minutes", min: 5, max: 240 },
  { key: "buffer_minutes", min: 0, max: 1440 },
  { key: "min_notice_minutes", min: 0, max: 525600 },
  { key: "horizon_days", min: 1, max: 365 },
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
  const t = useTranslations("settings.rules");

  function submit(event: React.FormEvent) {
    event.preventDefault();
    const settings = Object.fromEntries(RULES.map(({ key }) => [key, intOrRaw(form[key])]));
    save(() => saveSettings(business.id, settings));
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="rules-title" noValidate>
      <h2 id="rules-title">{t("title")}</h2>
      <div className="fields">
        {RULES.map((rule) => (
          <Field
            key={rule.key}
            label={t(rule.key)}
            type="number"
            inputMode="numeric"
            min={rule.min}
            max={rule.max}
            value={form[rule.key]}
            onChange={(event) => setForm((f) => ({ ...f, [rule.key]: event.target.value }))}
            error={errorFor(rule.key)}
            hint={t(`${rule.key}Hint`)}
          />
        ))}
      </div>
      <SaveBar
        pending={pending}
        result={result}
        label={t("save")}
        leftover={unplaced((p) => RULES.some((r) => r.key === p))}
      />
    </form>
  );
}
