import type { ImportReport } from "./definitions";

// The website import's report in the reader's words: each skipped URL's `code` and the crawl's
// `stopped_code` (app/knowledge/crawl.py) are keys of the `knowledge` messages. A report stored
// before the codes, or a code the console does not know, keeps the API's English words. No imports
// besides types, so unit/import-report.test.mjs loads it.

/** Why a URL was skipped (`knowledge.skipReasons`): the guard's and the fetch's reason codes. */
export const SKIP_CODES = [
  "other_site",
  "robots_disallowed",
  "robots_unreadable",
  "site_unreachable",
  "site_too_slow",
  "tls_failed",
  "too_many_redirects",
  "http_error",
  "not_a_page",
  "page_too_large",
  "page_unreadable",
  // A redirect to an address the guard refuses.
  "private_address",
  "unknown_host",
  "bad_url",
  "not_http",
  "url_credentials",
] as const;

/** Why the crawl stopped before reading everything it found (`knowledge.stopReasons`). */
export const STOP_CODES = ["time_limit", "page_limit", "byte_limit"] as const;

type SkipCode = (typeof SKIP_CODES)[number];
type StopCode = (typeof STOP_CODES)[number];
export type ReportKey = `skipReasons.${SkipCode}` | `stopReasons.${StopCode}`;

/** Codes whose English words say more than the code does: a status, a type, a size, a cause. */
const DETAILED: readonly SkipCode[] = [
  "http_error",
  "not_a_page",
  "page_too_large",
  "robots_unreadable",
  "site_unreachable",
  "private_address",
  "unknown_host",
  "bad_url",
];

/** One skipped URL as the report shows it: `english` when `reason` is the API's own words,
 * `detail` the API's words beside a translated reason (when they add to it). */
export type SkippedLine = { url: string; reason: string; english: boolean; detail: string | null };

function isSkipCode(code: string | undefined): code is SkipCode {
  return (SKIP_CODES as readonly (string | undefined)[]).includes(code);
}

function isStopCode(code: string | null | undefined): code is StopCode {
  return (STOP_CODES as readonly (string | null | undefined)[]).includes(code);
}

/** Each skipped URL with why, `t` translating the `knowledge` messages. */
export function skippedLines(report: ImportReport, t: (key: ReportKey) => string): SkippedLine[] {
  return report.skipped.map(({ url, reason, code }) =>
    isSkipCode(code)
      ? { url, reason: t(`skipReasons.${code}`), english: false, detail: DETAILED.includes(code) ? reason : null }
      : { url, reason, english: true, detail: null },
  );
}

/** Why the crawl stopped early (null: it did not), in the reader's words when its code is known. */
export function stoppedReason(report: ImportReport, t: (key: ReportKey) => string): string | null {
  if (!report.stopped) return null;
  const code = report.stopped_code;
  return isStopCode(code) ? t(`stopReasons.${code}`) : report.stopped;
}
