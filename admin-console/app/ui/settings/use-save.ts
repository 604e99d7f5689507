"use client";

import { useState, useTransition } from "react";
import { useTranslations } from "use-intl/react";

import type { ActionResult } from "@/app/lib/definitions";
import { fieldKey } from "@/app/lib/problems";

/** Pending state, outcome and per-field errors of one settings section's save. */
export function useSave() {
  const [pending, startTransition] = useTransition();
  const [result, setResult] = useState<ActionResult<unknown> | null>(null);
  const t = useTranslations("problems");
  const fields = result && !result.ok ? (result.fields ?? {}) : {};

  function save<T>(run: () => Promise<ActionResult<T>>, onSaved?: (data: T | undefined) => void) {
    setResult(null);
    startTransition(async () => {
      const outcome = await run();
      setResult(outcome);
      if (outcome.ok) onSaved?.(outcome.data);
    });
  }

  /** The error of one dotted path, e.g. "opening_hours.mon.close": in the reader's words when
   * app/lib/problems.ts knows it, else as the API words it. */
  const errorFor = (path: string): string | undefined => {
    const text = fields[path];
    if (text === undefined) return undefined;
    const key = fieldKey(path, text);
    return key ? t(key) : text;
  };

  /** Errors whose field this section does not draw next to an input. */
  const unplaced = (shown: (path: string) => boolean): [string, string][] =>
    Object.keys(fields)
      .filter((path) => !shown(path))
      .map((path) => [path, errorFor(path) ?? ""]);

  return { pending, result, fields, save, errorFor, unplaced, clear: () => setResult(null) };
}
