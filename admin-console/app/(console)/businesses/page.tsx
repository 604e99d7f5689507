import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { Suspense } from "react";

import { fetchBusinesses, fetchMe } from "@/app/lib/api";
import { LlmBreakers } from "@/app/ui/llm-breakers";
import { CardSkeleton } from "@/app/ui/skeletons";

export const metadata: Metadata = { title: "Businesses" };

export default async function BusinessesPage() {
  const [me, businesses] = await Promise.all([fetchMe(), fetchBusinesses()]);
  // Someone who works for one business has nothing to choose: take them straight to it.
  if (!me.is_superadmin && businesses.length === 1 && businesses[0]) {
    redirect(`/businesses/${businesses[0].id}`);
  }
  return (
    <>
      <div className="card">
        <div className="card-head">
          <h1>Businesses</h1>
          <span className="muted small">{businesses.length} in total</span>
        </div>
        {businesses.length === 0 ? (
          <p className="muted">
            You are not a member of any business yet. Ask an owner or an administrator to add you.
          </p>
        ) : (
          <table className="table stack-phone">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">WhatsApp number</th>
                <th scope="col">Timezone</th>
                <th scope="col">Your role</th>
                <th scope="col">Status</th>
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
                    <span className="badge">{b.role}</span>
                  </td>
                  <td>
                    {b.active ? (
                      <span className="badge green">active</span>
                    ) : (
                      <span className="badge red">inactive</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {me.is_superadmin ? (
        <Suspense fallback={<CardSkeleton label="Loading model providers" lines={2} />}>
          <LlmBreakers />
        </Suspense>
      ) : null}
    </>
  );
}
