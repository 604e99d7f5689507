"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { saveSettings } from "@/app/lib/actions";
import type { Business, BusinessSettings } from "@/app/lib/definitions";

import { Field, SaveBar } from "./field";
import { useSave } from "./use-save";

const PLACED = ["messenger_page_id", "page_access_token"];

/** The business's Facebook Page: its id (set by a superadmin) and its access token (write-only). */
export function ChannelsForm({ business, superadmin }: { business: Business; superadmin: boolean }) {
  const [pageId, setPageId] = useState(business.messenger_page_id ?? "");
  const [token, setToken] = useState("");
  const [hasToken, setHasToken] = useState(business.has_page_access_token);
  const { pending, result, save, errorFor, unplaced } = useSave();
  const t = useTranslations("settings.channels");
  const tf = useTranslations("form");

  function submit(event: React.FormEvent) {
    event.preventDefault();
    const settings: BusinessSettings = {};
    if (token) settings.page_access_token = token; // empty keeps the stored token
    if (superadmin) settings.messenger_page_id = pageId.trim() || null; // empty disconnects
    save(
      () => saveSettings(business.id, settings),
      () => {
        if (token) setHasToken(true);
        setToken("");
      },
    );
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="channels-title" noValidate>
      <h2 id="channels-title">{t("title")}</h2>
      <p className="muted small">
        {business.messenger_page_id ? t("connected", { page: business.messenger_page_id }) : t("notConnected")}
      </p>
      <div className="fields">
        {superadmin ? (
          <Field
            label={t("pageId")}
            value={pageId}
            onChange={(event) => setPageId(event.target.value)}
            error={errorFor("messenger_page_id")}
            inputMode="numeric"
            hint={t("pageIdHint")}
          />
        ) : null}
        <Field
          label={t("token")}
          type="password"
          autoComplete="off"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          error={errorFor("page_access_token")}
          placeholder={hasToken ? tf("stored") : tf("notSet")}
          hint={tf("writeOnly")}
        />
      </div>
      <SaveBar pending={pending} result={result} label={t("save")} leftover={unplaced((p) => PLACED.includes(p))} />
    </form>
  );
}
