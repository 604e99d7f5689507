"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

/** The business's sections; owner-only ones are not shown to staff at all. */
export function BusinessTabs({ businessId, manager }: { businessId: number; manager: boolean }) {
  const pathname = usePathname();
  const base = `/businesses/${businessId}`;
  const tabs = [
    { href: base, label: "Overview", exact: true },
    { href: `${base}/conversations`, label: "Conversations" },
    { href: `${base}/appointments`, label: "Appointments" },
    { href: `${base}/knowledge`, label: "Knowledge" },
    ...(manager
      ? [
          { href: `${base}/settings`, label: "Settings" },
          { href: `${base}/usage`, label: "Usage" },
          { href: `${base}/team`, label: "Team" },
        ]
      : []),
  ];
  return (
    <nav className="tabs" aria-label="Business sections">
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
