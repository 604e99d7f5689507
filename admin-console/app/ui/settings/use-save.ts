"use client";

import { useState, useTransition } from "react";

import type { ActionResult } from "@/app/lib/definitions";

/** Pending state, outcome and per-field errors of one settings section's save. */
export function useSave() {
  const [pending, startTransition] = useTransition();
  const [result, setResult] = useState<ActionResult<unknown> | null>(null);
  const fields = result && !result.ok ? (result.fields ?? {}) : {};

  function save<T>(run: () => Promise<ActionResult<T>>, onSaved?: (data: T | undefined) => void) {
    setResult(null);
    startTransition(async () => {
      const outcome = await run();
      setResult(outcome);
      if (outcome.ok) onSaved?.(outcome.data);
    });
  }

  /** The API's message for one dotted path, e.g. "opening_hours.mon.close". */
  const errorFor = (path: string): string | undefined => fields[path];

  /** Errors whose field this section does not draw next to an input. */
  const unplaced = (shown: (path: string) => boolean) => Object.entries(fields).filter(([path]) => !shown(path));

  return { pending, result, fields, save, errorFor, unplaced, clear: () => setResult(null) };
}
