"use client";

import { useTranslations } from "use-intl/react";

import type { Refusal } from "@/app/lib/definitions";
import { problemsOf } from "@/app/lib/problems";

/** A failed booking, move or block explained in the reader's language (app/lib/problems.ts). */
export function useProblemText() {
  const t = useTranslations("problems");
  return (result: { message: string; fields?: Record<string, string>; refusal?: Refusal }): string =>
    problemsOf(result)
      .map((p) => ("text" in p ? p.text : "detail" in p ? t(p.key, { detail: p.detail }) : t(p.key)))
      .join(" ");
}
