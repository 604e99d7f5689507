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
