import { notFound } from "next/navigation";
import { Suspense } from "react";

import { fetchBusiness, fetchRole } from "@/app/lib/api";
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
  const [role, business] = await Promise.all([fetchRole(id), fetchBusiness(id)]);
  const manager = role === "owner" || role === "superadmin";
  return (
    <>
      <div className="biz-header">
        <h1>{business.name}</h1>
        <span className="meta">
          {business.timezone} · {business.language} · you are <strong>{role}</strong>
          {business.active ? "" : " · inactive"}
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
