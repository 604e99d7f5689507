// The console's languages and the locale its dates, times and numbers are written in: the
// reader's language with the business's region (from its timezone), so a Madrid salon reads
// 02/12/2026 whichever language the console is in.

export const LANGS = ["en", "es"] as const;
export type Lang = (typeof LANGS)[number];
export const LANG_NAMES: Record<Lang, string> = { en: "English", es: "Español" };

export function isLang(value: unknown): value is Lang {
  return typeof value === "string" && (LANGS as readonly string[]).includes(value);
}

// The country of the timezones a business is likely to be in; others fall back to the language.
const REGION_OF_ZONE: Record<string, string> = {
  "Europe/Madrid": "ES",
  "Atlantic/Canary": "ES",
  "Africa/Ceuta": "ES",
  "Europe/London": "GB",
  "Europe/Dublin": "IE",
  "Europe/Lisbon": "PT",
  "Europe/Paris": "FR",
  "Europe/Berlin": "DE",
  "Europe/Rome": "IT",
  "Europe/Amsterdam": "NL",
  "Europe/Brussels": "BE",
  "America/New_York": "US",
  "America/Chicago": "US",
  "America/Denver": "US",
  "America/Los_Angeles": "US",
  "America/Mexico_City": "MX",
  "America/Bogota": "CO",
  "America/Lima": "PE",
  "America/Santiago": "CL",
  "America/Argentina/Buenos_Aires": "AR",
  "America/Buenos_Aires": "AR",
};
const DEFAULT_REGION: Record<Lang, string> = { en: "GB", es: "ES" };

/** The BCP 47 locale for a reader of `lang` looking at a business in `timeZone`. */
export function businessLocale(lang: Lang, timeZone: string): string {
  const region = REGION_OF_ZONE[timeZone] ?? DEFAULT_REGION[lang];
  const locale = `${lang}-${region}`;
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([locale]).length ? locale : `${lang}-${DEFAULT_REGION[lang]}`;
  } catch {
    return `${lang}-${DEFAULT_REGION[lang]}`;
  }
}
