"use client";

import { useEffect, useState } from "react";

import { loadSlots } from "@/app/lib/actions";
import type { Failure } from "@/app/lib/problems";

type Loaded = { key: string; slots: string[]; reason: string | null; error: Failure | null };

/** The free starts of a service on a date that staff may book: the bot's times plus those inside
 * its minimum notice (null while loading), the API's reason when the day has none, and the failure
 * when they could not be loaded. */
export function useSlots(businessId: number, serviceId: number, date: string, refresh = 0) {
  const key = `${businessId}:${serviceId}:${date}:${refresh}`;
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  useEffect(() => {
    let live = true;
    loadSlots(businessId, serviceId, date).then((result) => {
      if (!live) return;
      setLoaded(
        result.ok
          ? { key, slots: result.data?.slots ?? [], reason: result.data?.reason ?? null, error: null }
          : { key, slots: [], reason: null, error: result },
      );
    });
    return () => {
      live = false;
    };
  }, [businessId, serviceId, date, key]);
  // Answers for an earlier choice are not shown while the current one loads.
  const current = loaded?.key === key ? loaded : null;
  return { slots: current ? current.slots : null, reason: current?.reason ?? null, error: current?.error ?? null };
}
