"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { saveSettings } from "@/app/lib/actions";
import type { Business, BusinessSettings } from "@/app/lib/definitions";

import { AreaField, Field, SaveBar } from "./field";
import { useSave } from "./use-save";

const PLACED = [
  "name",
  "display_phone_number",
  "timezone",
  "language",
  "personality",
  "instructions",
  "access_token",
  "whatsapp_number_id",
  "active",
];

/** Profile, language and the bot's personality and instructions. */
export function ProfileForm({
  business,
  timezones,
  superadmin,
}: {
  business: Business;
  timezones: string[];
  superadmin: boolean;
}) {
  const [form, setForm] = useState({
    name: business.name,
    display_phone_number: business.display_phone_number,
    timezone: business.timezone,
    language: business.language,
    personality: business.personality,
    instructions: business.instructions,
    access_token: "",
    whatsapp_number_id: business.whatsapp_number_id,
    active: business.active,
  });
  const { pending, result, save, errorFor, unplaced } = useSave();
  const t = useTranslations("settings.profile");
  const tf = useTranslations("form");
  const set =
    (key: keyof typeof form) =>
    (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
      setForm((f) => ({
        ...f,
        [key]: event.target.type === "checkbox" ? (event.target as HTMLInputElement).checked : event.target.value,
      }));
  const zones = timezones.includes(form.timezone) ? timezones : [form.timezone, ...timezones];

  function submit(event: React.FormEvent) {
    event.preventDefault();
    const { access_token, whatsapp_number_id, active, ...rest } = form;
    const settings: BusinessSettings = { ...rest };
    if (access_token) settings.access_token = access_token; // empty keeps the stored token
    if (superadmin) Object.assign(settings, { whatsapp_number_id, active });
    save(
      () => saveSettings(business.id, settings),
      () => setForm((f) => ({ ...f, access_token: "" })),
    );
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="profile-title" noValidate>
      <h2 id="profile-title">{t("title")}</h2>
      <div className="fields">
        <Field label={t("name")} value={form.name} onChange={set("name")} error={errorFor("name")} maxLength={200} />
        <Field
          label={t("phone")}
          value={form.display_phone_number}
          onChange={set("display_phone_number")}
          error={errorFor("display_phone_number")}
          inputMode="tel"
        />
        <div className="field">
          <label htmlFor="timezone">{t("timezone")}</label>
          <select
            id="timezone"
            value={form.timezone}
            onChange={set("timezone")}
            aria-invalid={errorFor("timezone") ? true : undefined}
            aria-describedby={errorFor("timezone") ? "timezone-error" : undefined}
          >
            {zones.map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </select>
          {errorFor("timezone") ? (
            <span id="timezone-error" className="field-error" role="alert">
              {errorFor("timezone")}
            </span>
          ) : null}
        </div>
        <Field
          label={t("language")}
          value={form.language}
          onChange={set("language")}
          error={errorFor("language")}
          hint={t("languageHint")}
        />
      </div>
      <div className="stack" style={{ marginTop: "0.8rem" }}>
        <AreaField
          label={t("personality")}
          value={form.personality}
          onChange={set("personality")}
          error={errorFor("personality")}
          maxLength={2000}
          rows={2}
          hint={t("personalityHint")}
        />
        <AreaField
          label={t("instructions")}
          value={form.instructions}
          onChange={set("instructions")}
          error={errorFor("instructions")}
          maxLength={8000}
          rows={4}
          hint={t("instructionsHint")}
        />
        <Field
          label={t("token")}
          type="password"
          autoComplete="off"
          value={form.access_token}
          onChange={set("access_token")}
          error={errorFor("access_token")}
          placeholder={business.has_access_token ? tf("stored") : tf("notSet")}
          hint={tf("writeOnly")}
        />
        {superadmin ? (
          <div className="fields">
            <Field
              label={t("numberId")}
              value={form.whatsapp_number_id}
              onChange={set("whatsapp_number_id")}
              error={errorFor("whatsapp_number_id")}
            />
            <div className="field">
              <span>{t("status")}</span>
              <label className="row" style={{ fontWeight: 400 }}>
                <input type="checkbox" checked={form.active} onChange={set("active")} /> {t("active")}
              </label>
            </div>
          </div>
        ) : null}
      </div>
      <SaveBar pending={pending} result={result} label={t("save")} leftover={unplaced((p) => PLACED.includes(p))} />
    </form>
  );
}
