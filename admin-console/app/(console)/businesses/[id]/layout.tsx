import { notFound } from "next/navigation";
import { Suspense } from "react";

import { fetchBusiness, fetchRole } from "@/app/lib/api";
import { getT } from "@/app/lib/i18n";
import { positiveInt } from "@/app/lib/params";
import { BusinessTabs } from "@/app/ui/business-tabs";
import { BudgetWarning } from "@/app/ui/usage/budget-warning";

export default async function BusinessLayout({
  params,
  children,
}: {
  params: Promise<{ id: string }>;
  children: React.ReactNode;
}) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const [role, business, t, tc] = await Promise.all([
    fetchRole(id),
    fetchBusiness(id),
    getT("business"),
    getT("common"),
  ]);
  const manager = role === "owner" || role === "superadmin";
  return (
    <>
      <div className="biz-header">
        <h1>{business.name}</h1>
        <span className="meta">
          {business.timezone} · {business.language} ·{" "}
          {t.rich("you", { role: tc(`roles.${role}`), strong: (chunks) => <strong>{chunks}</strong> })}
          {business.active ? "" : ` · ${t("inactive")}`}
        </span>
      </div>
      <BusinessTabs businessId={id} manager={manager} />
      {manager ? (
        <Suspense fallback={null}>
          <BudgetWarning businessId={id} />
        </Suspense>
      ) : null}
      {children}
    </>
  );
}
