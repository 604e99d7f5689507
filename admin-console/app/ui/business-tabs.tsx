"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useTranslations } from "use-intl/react";

/** The business's sections; owner-only ones are not shown to staff at all. */
export function BusinessTabs({ businessId, manager }: { businessId: number; manager: boolean }) {
  const pathname = usePathname();
  const t = useTranslations("tabs");
  const base = `/businesses/${businessId}`;
  const tabs = [
    { href: base, label: t("overview"), exact: true },
    { href: `${base}/conversations`, label: t("conversations") },
    { href: `${base}/appointments`, label: t("appointments") },
    { href: `${base}/knowledge`, label: t("knowledge") },
    ...(manager
      ? [
          { href: `${base}/settings`, label: t("settings") },
          { href: `${base}/usage`, label: t("usage") },
          { href: `${base}/team`, label: t("team") },
        ]
      : []),
  ];
  return (
    <nav className="tabs" aria-label={t("label")}>
      {tabs.map((tab) => {
        const current = tab.exact ? pathname === tab.href : pathname.startsWith(tab.href);
        return (
          <Link key={tab.href} href={tab.href} aria-current={current ? "page" : undefined}>
            {tab.label}
          </Link>
        );
      })}
    </nav>
  );
}
