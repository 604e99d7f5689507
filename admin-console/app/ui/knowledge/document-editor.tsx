"use client";

import { useState } from "react";

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
        <h2 id="document-title">Reference document</h2>
        <span className="muted small">{document.version ? `version ${document.version}` : "none yet"}</span>
      </div>
      <AreaField
        label="What the bot may tell customers beyond the settings"
        className="document-field"
        rows={18}
        maxLength={MAX_CHARS}
        value={content}
        onChange={(event) => setContent(event.target.value)}
        error={errorFor("content")}
        hint={`One "## Section" heading per topic, one "- fact" per line. The bot answers only from the settings and this text; anything else it says it does not know. ${content.length} of ${MAX_CHARS} characters.`}
      />
      <SaveBar pending={pending} result={result} label="Save as new version" />
    </form>
  );
}
