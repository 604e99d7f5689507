import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { calendarWarning, canReconnect, syncNote } = await importTs("app/lib/calendar-health.ts");

const healthy = {
  calendar_backend: "google",
  calendar_error: null,
  calendar_error_at: null,
  upcoming_pending_late: 0,
  upcoming_failed: 0,
  late_after_minutes: 10,
  last_synced_at: "2030-01-02T03:04:05+00:00",
};

test("a healthy Google calendar, a local one or an unread status warn of nothing", () => {
  assert.equal(calendarWarning(healthy), null);
  assert.equal(calendarWarning(null), null);
  const local = { ...healthy, calendar_backend: "local", calendar_error: "old", upcoming_failed: 3 };
  assert.equal(calendarWarning(local), null);
  assert.equal(calendarWarning({ ...healthy, calendar_error: "   " }), null);
});

test("a recorded error warns, with its time and the last sync", () => {
  const at = "2030-01-03T08:00:00+00:00";
  const warning = calendarWarning({ ...healthy, calendar_error: " access refused ", calendar_error_at: at });
  assert.deepEqual(warning, {
    error: { message: "access refused", at },
    late: 0,
    failed: 0,
    lateAfterMinutes: 10,
    lastSyncedAt: healthy.last_synced_at,
  });
});

test("late or failed bookings warn without an error", () => {
  assert.deepEqual(
    { ...calendarWarning({ ...healthy, upcoming_pending_late: 2 }), lastSyncedAt: null },
    { error: null, late: 2, failed: 0, lateAfterMinutes: 10, lastSyncedAt: null },
  );
  assert.equal(calendarWarning({ ...healthy, upcoming_failed: 1 })?.failed, 1);
});

test("owners and superadmins are told how to reconnect; staff to tell an owner", () => {
  assert.equal(canReconnect("owner"), true);
  assert.equal(canReconnect("superadmin"), true);
  assert.equal(canReconnect("staff"), false);
});

test("an appointment's sync state is said when it is not in Google Calendar", () => {
  const now = Date.parse("2030-01-01T10:00:00Z");
  const later = "2030-01-02T10:00:00Z";
  const before = "2029-12-31T10:00:00Z";
  const note = (status, sync, ends = later, backend = "google") =>
    syncNote(backend, { status, calendar_sync: sync, ends_at: ends }, now);
  assert.equal(note("booked", "synced"), null);
  assert.equal(note("booked", "pending"), "pending");
  assert.equal(note("booked", "failed"), "failed");
  assert.equal(note("no_show", "failed", before), "failed");
  assert.equal(note("cancelled", "pending"), "cancelPending");
  assert.equal(note("cancelled", "failed"), "cancelFailed");
  assert.equal(note("booked", "none"), "pending");
  assert.equal(note("booked", "none", before), null);
  assert.equal(note("cancelled", "none"), null);
  assert.equal(note("booked", "failed", later, "local"), null);
  assert.equal(note("booked", "none", later, "local"), null);
});
