"use client";

import { useRouter } from "next/navigation";

import type { Lang } from "@/app/lib/locale";
import { DatePicker } from "@/app/ui/date-picker";

/** Go to another day of the calendar, chosen in the business's locale. */
export function DateJump({
  label,
  date,
  hrefPrefix,
  lang,
  locale,
}: {
  label: string;
  date: string;
  hrefPrefix: string;
  lang: Lang;
  locale: string;
}) {
  const router = useRouter();
  return (
    <DatePicker
      label={label}
      value={date}
      onChange={(d) => router.push(`${hrefPrefix}${d}`)}
      lang={lang}
      locale={locale}
    />
  );
}
