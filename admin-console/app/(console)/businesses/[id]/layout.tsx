import { notFound } from "next/navigation";

import { fetchBusiness, fetchRole } from "@/app/lib/api";
import { positiveInt } from "@/app/lib/params";
import { BusinessTabs } from "@/app/ui/business-tabs";

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
      {children}
    </>
  );
}
