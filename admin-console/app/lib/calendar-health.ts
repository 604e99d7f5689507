import type { CalendarHealth } from "./definitions";

// When the console warns that Google Calendar is not up to date, and what an appointment's
// calendar sync state means to staff (no I/O: unit tested).

/** What is wrong with a Google calendar, or null when nothing needs a person (or it is local). */
export type CalendarWarning = {
  /** The problem the bot recorded, with when; null when none is recorded. */
  error: { message: string; at: string | null } | null;
  /** Upcoming bookings waiting too long to be written to Google. */
  late: number;
  /** Upcoming bookings that could not be written to Google. */
  failed: number;
  lateAfterMinutes: number;
  lastSyncedAt: string | null;
};

export function calendarWarning(health: CalendarHealth | null): CalendarWarning | null {
  if (!health || health.calendar_backend !== "google") return null;
  const message = health.calendar_error?.trim() ?? "";
  const late = Math.max(0, health.upcoming_pending_late);
  const failed = Math.max(0, health.upcoming_failed);
  if (!message && late === 0 && failed === 0) return null;
  return {
    error: message ? { message, at: health.calendar_error_at } : null,
    late,
    failed,
    lateAfterMinutes: health.late_after_minutes,
    lastSyncedAt: health.last_synced_at,
  };
}

/** Whoever may reconnect the calendar (owners, superadmins) is told how; staff, to tell an owner. */
export function canReconnect(role: string): boolean {
  return role === "owner" || role === "superadmin";
}

/**
 * pending / failed: the booking is not (or could not be) in Google Calendar;
 * cancelPending / cancelFailed: its cancellation is not (or could not be) removed from it.
 */
export type SyncNote = "pending" | "failed" | "cancelPending" | "cancelFailed";

/** What staff should know of an appointment's place in Google Calendar; null when it is there. */
export function syncNote(
  backend: string,
  appointment: { status: string; calendar_sync: string; ends_at: string },
  now: number,
): SyncNote | null {
  if (backend !== "google") return null;
  const cancelled = appointment.status === "cancelled";
  switch (appointment.calendar_sync) {
    case "failed":
      return cancelled ? "cancelFailed" : "failed";
    case "pending":
      return cancelled ? "cancelPending" : "pending";
    case "none":
      // Booked before the business switched to Google: written by the next sync, while not over.
      return !cancelled && new Date(appointment.ends_at).getTime() > now ? "pending" : null;
    default:
      return null;
  }
}
