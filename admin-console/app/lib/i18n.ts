import "server-only";

import { cookies, headers } from "next/headers";
import { cache } from "react";
import { createTranslator } from "use-intl/core";

import en, { type Messages } from "@/app/messages/en";
import es from "@/app/messages/es";

import type { CustomerWords } from "./customers";
import { isLang, type Lang } from "./locale";

// The signed-in reader's language: their choice (a cookie the language switch sets), else the
// first of their browser's languages the console speaks, else English.

export const LANG_COOKIE = "console_lang";
export const MESSAGES: Record<Lang, Messages> = { en, es };

export const getLang = cache(async (): Promise<Lang> => {
  const chosen = (await cookies()).get(LANG_COOKIE)?.value;
  if (isLang(chosen)) return chosen;
  const accepted = (await headers()).get("accept-language") ?? "";
  for (const part of accepted.split(",")) {
    const code = part.split(";")[0]?.trim().slice(0, 2).toLowerCase();
    if (isLang(code)) return code;
  }
  return "en";
});

/** A translator for server components: `const t = await getT("calendar"); t("today")`. */
export async function getT<N extends keyof Messages>(namespace: N) {
  const locale = await getLang();
  return createTranslator({ locale, messages: MESSAGES[locale], namespace });
}

/** How customers without a name are called, in the reader's language (see `customers.ts`). */
export async function getCustomerWords(): Promise<CustomerWords> {
  const t = await getT("customers");
  return { testChat: t("testChat"), erased: t("erased"), walkIn: t("walkIn") };
}
