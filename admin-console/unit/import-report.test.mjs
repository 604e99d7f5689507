import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

import { createTranslator } from "use-intl/core";

import { importTs } from "./import-ts.mjs";

const { SKIP_CODES, STOP_CODES, skippedLines, stoppedReason } = await importTs("app/lib/import-report.ts");
const { default: en } = await importTs("app/messages/en.ts");
const { default: es } = await importTs("app/messages/es.ts");

const knowledge = (messages, locale) => createTranslator({ locale, messages, namespace: "knowledge" });
const SITE = "https://salon.example";

/** A report as the API stores it now: each skipped URL and the stop with its code. */
const coded = {
  start_url: `${SITE}/`,
  pages: [{ url: `${SITE}/`, title: "Salon", chars: 120 }],
  skipped: [
    { url: `${SITE}/gone`, reason: "HTTP 404", code: "http_error" },
    { url: `${SITE}/private/staff`, reason: "disallowed by robots.txt", code: "robots_disallowed" },
    { url: "https://partner.example/", reason: "on another site", code: "other_site" },
  ],
  stopped: "page limit (20) reached",
  stopped_code: "page_limit",
  requests: 20,
  bytes_read: 9000,
  written_by: "extractive",
};

/** The same report as it was stored before the codes. */
const uncoded = {
  ...coded,
  skipped: coded.skipped.map(({ url, reason }) => ({ url, reason })),
  stopped_code: undefined,
};

test("a Spanish reader reads why each page was skipped, and why the import stopped, in Spanish", () => {
  const t = knowledge(es, "es");
  assert.deepEqual(skippedLines(coded, t), [
    {
      url: `${SITE}/gone`,
      reason: "La web respondió con un error en lugar de la página.",
      english: false,
      detail: "HTTP 404",
    },
    {
      url: `${SITE}/private/staff`,
      reason: "El robots.txt de la web no permite importarla.",
      english: false,
      detail: null,
    },
    { url: "https://partner.example/", reason: "Está en otra web.", english: false, detail: null },
  ]);
  assert.equal(
    t("stopped", { reason: stoppedReason(coded, t) }),
    "Se detuvo antes: se alcanzó el máximo de páginas de la importación.",
  );
});

test("a report stored before the codes keeps the API's English words", () => {
  const t = knowledge(es, "es");
  assert.deepEqual(skippedLines(uncoded, t), [
    { url: `${SITE}/gone`, reason: "HTTP 404", english: true, detail: null },
    { url: `${SITE}/private/staff`, reason: "disallowed by robots.txt", english: true, detail: null },
    { url: "https://partner.example/", reason: "on another site", english: true, detail: null },
  ]);
  assert.equal(stoppedReason(uncoded, t), "page limit (20) reached");
  assert.equal(stoppedReason({ ...uncoded, stopped: null }, t), null);
});

test("a code the console does not know keeps the API's English words", () => {
  const t = knowledge(en, "en");
  const later = { ...coded, skipped: [{ url: `${SITE}/x`, reason: "blocked by a firewall", code: "firewall" }] };
  assert.deepEqual(skippedLines(later, t), [
    { url: `${SITE}/x`, reason: "blocked by a firewall", english: true, detail: null },
  ]);
  assert.equal(stoppedReason({ ...coded, stopped_code: "memory_limit" }, t), "page limit (20) reached");
});

test("what the report counts but does not list is said in the reader's words", () => {
  assert.equal(
    knowledge(es, "es")("notListed", { count: 180 }),
    "180 direcciones más se omitieron y no aparecen en la lista.",
  );
  assert.equal(knowledge(en, "en")("notListed", { count: 1 }), "1 more URL was skipped and is not listed.");
  assert.equal(
    knowledge(en, "en")("otherSiteLinks", { count: 200 }),
    "200 links lead to other websites, which the import does not read.",
  );
  assert.match(knowledge(es, "es")("robotsCut"), /^El robots\.txt de la web es más largo de lo que lee la importación/);
});

test("every code has its words in English and Spanish, and they are the API's codes", async () => {
  for (const messages of [en, es]) {
    assert.deepEqual(Object.keys(messages.knowledge.skipReasons).sort(), [...SKIP_CODES].sort());
    assert.deepEqual(Object.keys(messages.knowledge.stopReasons).sort(), [...STOP_CODES].sort());
  }
  for (const code of SKIP_CODES) assert.notEqual(es.knowledge.skipReasons[code], en.knowledge.skipReasons[code]);
  for (const code of STOP_CODES) assert.notEqual(es.knowledge.stopReasons[code], en.knowledge.stopReasons[code]);
  const openapi = JSON.parse(await readFile(new URL("../../app/admin/openapi.json", import.meta.url), "utf8"));
  const report = openapi.components.schemas.ImportReport.properties;
  assert.deepEqual([...report.skipped.items.properties.code.enum].sort(), [...SKIP_CODES].sort());
  assert.deepEqual(report.stopped_code.enum.filter(Boolean).sort(), [...STOP_CODES].sort());
});
