"use client";

import { useId, useState } from "react";
import { useTranslations } from "use-intl/react";

import { saveSettings } from "@/app/lib/actions";
import type { Business, BusinessSettings } from "@/app/lib/definitions";
import { checkReminderForm, formatOffsets, parseOffsets, type ReminderFormProblems } from "@/app/lib/reminders";

import { Field, SaveBar } from "./field";
import { useSave } from "./use-save";

const PLACED = ["reminders_enabled", "reminder_offsets_minutes", "reminder_quiet_hours", "reminder_template"];

/** When reminders go, quiet hours, and the WhatsApp template used outside the 24-hour window. */
export function RemindersForm({ business }: { business: Business }) {
  const [form, setForm] = useState(() => ({
    enabled: business.reminders_enabled,
    offsets: formatOffsets(business.reminder_offsets_minutes),
    quiet: business.reminder_quiet_hours !== null,
    quietStart: business.reminder_quiet_hours?.start ?? "21:00",
    quietEnd: business.reminder_quiet_hours?.end ?? "09:00",
    templateName: business.reminder_template?.name ?? "",
    templateLanguage: business.reminder_template?.language ?? "",
  }));
  const { pending, result, save, errorFor, unplaced, clear } = useSave();
  // Refused here, in words, before the API would answer with its JSON shapes.
  const [problems, setProblems] = useState<ReminderFormProblems>({});
  const t = useTranslations("settings.reminders");
  const tf = useTranslations("form");
  const quietErrorId = useId();
  const quietError = problems.quiet ? t(problems.quiet) : errorFor("reminder_quiet_hours") ? t("quietSame") : undefined;
  const templateError = problems.templateName
    ? t(problems.templateName)
    : errorFor("reminder_template")
      ? t("templateInvalid")
      : undefined;
  const languageError = problems.templateLanguage ? t(problems.templateLanguage) : undefined;
  const refused = Object.keys(problems).length > 0;
  const set = (key: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement>) =>
    setForm((f) => ({
      ...f,
      [key]: event.target.type === "checkbox" ? event.target.checked : event.target.value,
    }));

  function submit(event: React.FormEvent) {
    event.preventDefault();
    const found = checkReminderForm(form);
    setProblems(found);
    if (Object.keys(found).length) {
      clear();
      return;
    }
    const name = form.templateName.trim();
    const settings = {
      reminders_enabled: form.enabled,
      reminder_offsets_minutes: parseOffsets(form.offsets),
      reminder_quiet_hours: form.quiet ? { start: form.quietStart, end: form.quietEnd } : null,
      reminder_template: name ? { name, language: form.templateLanguage.trim() } : null,
    } as BusinessSettings; // unparsed offsets go as typed: the API names the field
    save(() => saveSettings(business.id, settings));
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="reminders-title" noValidate>
      <h2 id="reminders-title">{t("title")}</h2>
      <div className="stack">
        <label className="row" style={{ fontWeight: 400 }}>
          <input type="checkbox" checked={form.enabled} onChange={set("enabled")} /> {t("enabled")}
        </label>
        <Field
          label={t("when")}
          value={form.offsets}
          onChange={set("offsets")}
          error={errorFor("reminder_offsets_minutes")}
          hint={t("whenHint")}
        />
        <label className="row" style={{ fontWeight: 400 }}>
          <input type="checkbox" checked={form.quiet} onChange={set("quiet")} /> {t("quiet")}
        </label>
        {form.quiet ? (
          <div className="fields">
            <Field
              label={t("quietFrom")}
              type="time"
              value={form.quietStart}
              onChange={set("quietStart")}
              invalidBy={quietError ? quietErrorId : undefined}
            />
            <Field
              label={t("quietUntil")}
              type="time"
              value={form.quietEnd}
              onChange={set("quietEnd")}
              invalidBy={quietError ? quietErrorId : undefined}
            />
          </div>
        ) : null}
        {quietError ? (
          <span id={quietErrorId} className="field-error" role="alert">
            {quietError}
          </span>
        ) : null}
        <div className="fields">
          <Field
            label={t("template")}
            value={form.templateName}
            onChange={set("templateName")}
            error={templateError}
            placeholder="appointment_reminder"
            hint={t("templateHint")}
          />
          <Field
            label={t("templateLanguage")}
            value={form.templateLanguage}
            onChange={set("templateLanguage")}
            error={languageError}
            placeholder="en_US"
          />
        </div>
      </div>
      <SaveBar
        pending={pending}
        result={refused ? { ok: false, message: tf("fixFields") } : result}
        label={t("save")}
        leftover={unplaced((p) => PLACED.includes(p))}
      />
    </form>
  );
}
