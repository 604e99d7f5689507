"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { importWebsite } from "@/app/lib/actions";
import { Field } from "@/app/ui/settings/field";
import { useSave } from "@/app/ui/settings/use-save";
import { useFailureText } from "@/app/ui/use-problem-text";

/** "Import from website": the API crawls the site now and stores what it says as a new version. */
export function ImportForm({ businessId, url }: { businessId: number; url: string }) {
  const [value, setValue] = useState(url);
  const { pending, result, save, errorFor } = useSave();
  const t = useTranslations("knowledge");
  const failureText = useFailureText();
  // A refused address is said by its reason, in the reader's words (app/lib/problems.ts).
  const refusal = result && !result.ok && result.refusal ? failureText(result) : undefined;
  const urlError = errorFor("url") ? (refusal ?? errorFor("url")) : undefined;

  function submit(event: React.FormEvent) {
    event.preventDefault();
    save(() => importWebsite(businessId, value));
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="import-title" noValidate>
      <h2 id="import-title">{t("importTitle")}</h2>
      <Field
        label={t("site")}
        type="url"
        inputMode="url"
        placeholder="https://www.example.com/"
        value={value}
        onChange={(event) => setValue(event.target.value)}
        error={urlError}
        hint={t("siteHint")}
      />
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {pending ? t("importing") : t("importTitle")}
        </button>
        <span aria-live="polite">
          {result?.ok ? <span className="notice ok">{result.message}</span> : null}
          {result && !result.ok && !urlError ? (
            <span className="notice error" role="alert">
              {failureText(result)}
            </span>
          ) : null}
        </span>
      </div>
    </form>
  );
}
