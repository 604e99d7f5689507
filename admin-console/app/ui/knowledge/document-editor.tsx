"use client";

import { useState } from "react";
import { useTranslations } from "use-intl/react";

import { saveReferenceDocument } from "@/app/lib/actions";
import type { ReferenceDocument } from "@/app/lib/definitions";
import { AreaField, SaveBar } from "@/app/ui/settings/field";
import { useSave } from "@/app/ui/settings/use-save";

const MAX_CHARS = 20_000;

/** The current reference document, editable; saving makes a new version. */
export function DocumentEditor({ businessId, document }: { businessId: number; document: ReferenceDocument }) {
  const [content, setContent] = useState(document.content);
  const [shown, setShown] = useState(document.version);
  const { pending, result, save, errorFor } = useSave();
  const t = useTranslations("knowledge");
  if (document.version !== shown) {
    // A new version arrived (an import, or this save): show its text, keep the save's message.
    setShown(document.version);
    setContent(document.content);
  }

  function submit(event: React.FormEvent) {
    event.preventDefault();
    save(() => saveReferenceDocument(businessId, content));
  }

  return (
    <form className="card" onSubmit={submit} aria-labelledby="document-title" noValidate>
      <div className="card-head">
        <h2 id="document-title">{t("document")}</h2>
        <span className="muted small">
          {document.version ? t("version", { version: document.version }) : t("noneYet")}
        </span>
      </div>
      <AreaField
        label={t("editorLabel")}
        className="document-field"
        rows={18}
        maxLength={MAX_CHARS}
        value={content}
        onChange={(event) => setContent(event.target.value)}
        error={errorFor("content")}
        hint={t("editorHint", { count: content.length, max: MAX_CHARS })}
      />
      <SaveBar pending={pending} result={result} label={t("save")} />
    </form>
  );
}
