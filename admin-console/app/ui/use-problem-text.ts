"use client";

import { useTranslations } from "use-intl/react";

import { failureOf, type Failure, problemsOf, sayProblem } from "@/app/lib/problems";

// Failed changes explained in the reader's language (app/lib/problems.ts).

/** A failed booking, move or block: its reason, or each of its bad fields. */
export function useProblemText() {
  const t = useTranslations("problems");
  return (result: Failure): string =>
    problemsOf(result)
      .map((p) => sayProblem(p, t))
      .join(" ");
}

/** Any other failed change, in one message: its reason, or its words (fields are shown apart). */
export function useFailureText() {
  const t = useTranslations("problems");
  return (result: Failure): string => sayProblem(failureOf(result), t);
}
