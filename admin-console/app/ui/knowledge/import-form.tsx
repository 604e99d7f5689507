"use client";

import { useState } from "react";

import { importWebsite } from "@/app/lib/actions";
import { Field } from "@/app/ui/settings/field";
import { useSave } from "@/app/ui/settings/use-save";

/** "Import from website": the API crawls the site now and stores what it says as a new version. */
export function ImportForm({ businessId, url }: { businessId: number; url: string }) {
  const [value, setValue] = useState(url);
  const { pending, result, save, errorFor } = useSave();

  function submit(event: React.FormEvent) {
    event.preventDefault();
    save(() => importWebsite(businessId, value));
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="import-title" noValidate>
      <h2 id="import-title">Import from website</h2>
      <Field
        label="The business's own website"
        type="url"
        inputMode="url"
        placeholder="https://www.example.com/"
        value={value}
        onChange={(event) => setValue(event.target.value)}
        error={errorFor("url")}
        hint="Pages of this site only, as its robots.txt allows; the result replaces nothing (it becomes a new version you can edit)."
      />
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {pending ? "Importing… (up to a minute)" : "Import from website"}
        </button>
        <span aria-live="polite">
          {result?.ok ? <span className="notice ok">{result.message}</span> : null}
          {result && !result.ok && !errorFor("url") ? (
            <span className="notice error" role="alert">
              {result.message}
            </span>
          ) : null}
        </span>
      </div>
    </form>
  );
}
