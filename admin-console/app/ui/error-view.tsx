"use client";

import { useEffect } from "react";
import { useTranslations } from "use-intl/react";

import type { Messages } from "@/app/messages/en";

export type ErrorProps = { error: unknown; retry: () => void };

type What = keyof Messages["common"]["what"];

/** The body of every error.tsx: what failed (a `common.what` key), and a way to try again. */
export function ErrorView({ error, retry, what }: ErrorProps & { what: What }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const t = useTranslations("common");
  const digest = error instanceof Error && "digest" in error ? String(error.digest) : null;
  return (
    <div className="card" role="alert">
      <h2>{t("couldNotShow", { what: t(`what.${what}`) })}</h2>
      <p className="muted">
        {t("apiFailed")}
        {digest ? <span className="small"> {t("reference", { digest })}</span> : null}
      </p>
      <button type="button" onClick={() => retry()}>
        {t("retry")}
      </button>
    </div>
  );
}
