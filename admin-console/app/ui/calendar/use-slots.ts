"use client";

import { useEffect, useState } from "react";

import { loadSlots } from "@/app/lib/actions";

/** The free starts of a service on a date that staff may book: the bot's times plus those inside
 * its minimum notice (null while loading). */
export function useSlots(businessId: number, serviceId: number, date: string, refresh = 0) {
  const key = `${businessId}:${serviceId}:${date}:${refresh}`;
  const [loaded, setLoaded] = useState<{ key: string; slots: string[]; error: string | null } | null>(null);
  useEffect(() => {
    let live = true;
    loadSlots(businessId, serviceId, date).then((result) => {
      if (!live) return;
      setLoaded({ key, slots: result.ok ? (result.data ?? []) : [], error: result.ok ? null : result.message });
    });
    return () => {
      live = false;
    };
  }, [businessId, serviceId, date, key]);
  // Answers for an earlier choice are not shown while the current one loads.
  const current = loaded?.key === key ? loaded : null;
  return { slots: current ? current.slots : null, error: current?.error ?? null };
}
