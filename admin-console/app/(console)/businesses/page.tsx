import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { Suspense } from "react";

import { getT } from "@/app/lib/i18n";
import { fetchBusinesses, fetchMe } from "@/app/lib/api";
import { LlmBreakers } from "@/app/ui/llm-breakers";
import { CardSkeleton } from "@/app/ui/skeletons";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("businesses"))("title") };
}

export default async function BusinessesPage() {
  const [me, businesses] = await Promise.all([fetchMe(), fetchBusinesses()]);
  // Someone who works for one business has nothing to choose: take them straight to it.
  if (!me.is_superadmin && businesses.length === 1 && businesses[0]) {
    redirect(`/businesses/${businesses[0].id}`);
  }
  const [t, tc] = await Promise.all([getT("businesses"), getT("common")]);
  return (
    <>
      <div className="card">
        <div className="card-head">
          <h1>{t("title")}</h1>
          <span className="muted small">{t("total", { count: businesses.length })}</span>
        </div>
        {businesses.length === 0 ? (
          <p className="muted">{t("none")}</p>
        ) : (
          <table className="table stack-phone">
            <thead>
              <tr>
                <th scope="col">{t("name")}</th>
                <th scope="col">{t("number")}</th>
                <th scope="col">{t("timezone")}</th>
                <th scope="col">{t("role")}</th>
                <th scope="col">{t("status")}</th>
              </tr>
            </thead>
            <tbody>
              {businesses.map((b) => (
                <tr key={b.id}>
                  <td>
                    <Link href={`/businesses/${b.id}`}>
                      <strong>{b.name}</strong>
                    </Link>
                  </td>
                  <td>{b.display_phone_number || <span className="muted">id {b.whatsapp_number_id}</span>}</td>
                  <td>{b.timezone}</td>
                  <td>
                    <span className="badge">{tc(`roles.${b.role}`)}</span>
                  </td>
                  <td>
                    {b.active ? (
                      <span className="badge green">{t("active")}</span>
                    ) : (
                      <span className="badge red">{t("inactive")}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {me.is_superadmin ? (
        <Suspense fallback={<CardSkeleton label={t("loadingProviders")} lines={2} />}>
          <LlmBreakers />
        </Suspense>
      ) : null}
    </>
  );
}
