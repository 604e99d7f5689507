import assert from "node:assert/strict";
import { test } from "node:test";

import { importTs } from "./import-ts.mjs";

const { byInstant } = await importTs("app/lib/time.ts");

test("instants sort by time, whatever UTC offset and fraction of a second the API wrote", () => {
  // The night clocks go back in Madrid: 02:30 summer time is 00:30 UTC, 02:15 winter time 01:15.
  const later = "2026-10-25T02:15:00+01:00";
  const earlier = "2026-10-25T02:30:00+02:00";
  assert.deepEqual([later, earlier].sort(byInstant), [earlier, later]);
  assert.deepEqual(["2026-03-29T01:15:00+00:00", "2026-03-29T01:30:00+01:00"].sort(byInstant), [
    "2026-03-29T01:30:00+01:00",
    "2026-03-29T01:15:00+00:00",
  ]);
  // The same instant in two offsets is neither before nor after the other.
  assert.equal(byInstant("2026-03-29T01:30:00+01:00", "2026-03-29T00:30:00+00:00"), 0);
  // A zero fraction is left out ("…T09:00:00+00:00"), any other written to the microsecond.
  const sharp = "2026-03-02T09:00:00+00:00";
  const fraction = "2026-03-02T09:00:00.400000+00:00";
  const next = "2026-03-02T09:00:01+00:00";
  assert.deepEqual([next, fraction, sharp].sort(byInstant), [sharp, fraction, next]);
});

const { wallToUtc } = await importTs("app/lib/time.ts");

test("a wall-clock time becomes the instant the bot would read it as, across clock changes", () => {
  // Ordinary days, either side of UTC, and 24:00 as the next day's midnight.
  assert.equal(wallToUtc("2026-07-01", 9 * 60, "Europe/Madrid"), "2026-07-01T07:00:00.000Z");
  assert.equal(wallToUtc("2026-01-15", 17 * 60 + 30, "America/New_York"), "2026-01-15T22:30:00.000Z");
  assert.equal(wallToUtc("2026-07-01", 1440, "Europe/Madrid"), "2026-07-01T22:00:00.000Z");
  assert.equal(wallToUtc("2026-07-01", 0, "Pacific/Kiritimati"), "2026-06-30T10:00:00.000Z");
  // A time the clocks repeat is its first occurrence (summer time), east and west of UTC.
  assert.equal(wallToUtc("2026-10-25", 2 * 60 + 30, "Europe/Madrid"), "2026-10-25T00:30:00.000Z");
  assert.equal(wallToUtc("2026-11-01", 60 + 30, "America/New_York"), "2026-11-01T05:30:00.000Z");
  // A time the clocks skip is the instant they jump past it (03:00 summer time; 03:00 EDT).
  assert.equal(wallToUtc("2026-03-29", 2 * 60 + 30, "Europe/Madrid"), "2026-03-29T01:00:00.000Z");
  assert.equal(wallToUtc("2026-03-08", 2 * 60 + 30, "America/New_York"), "2026-03-08T07:00:00.000Z");
  // The hours either side of the change are read as their one instant.
  assert.equal(wallToUtc("2026-03-29", 3 * 60, "Europe/Madrid"), "2026-03-29T01:00:00.000Z");
  assert.equal(wallToUtc("2026-03-29", 60 + 45, "Europe/Madrid"), "2026-03-29T00:45:00.000Z");
  assert.equal(wallToUtc("2026-10-25", 3 * 60, "Europe/Madrid"), "2026-10-25T02:00:00.000Z");
});
