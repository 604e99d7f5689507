import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Suspense } from "react";

import { fetchBusiness, fetchRole } from "@/app/lib/api";
import { positiveInt, type BusinessParams } from "@/app/lib/params";
import { NotAllowed } from "@/app/ui/not-allowed";
import { ChannelsForm } from "@/app/ui/settings/channels-form";
import { HoursForm } from "@/app/ui/settings/hours-form";
import { ProfileForm } from "@/app/ui/settings/profile-form";
import { PromptPreview } from "@/app/ui/settings/prompt-preview";
import { RemindersForm } from "@/app/ui/settings/reminders-form";
import { RulesForm } from "@/app/ui/settings/rules-form";
import { ServicesForm } from "@/app/ui/settings/services-form";
import { Lines } from "@/app/ui/skeletons";

export const metadata: Metadata = { title: "Settings" };

function timezones(): string[] {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/Madrid", "Europe/London"];
  }
}

export default async function SettingsPage({ params }: BusinessParams) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const role = await fetchRole(id);
  if (role === "staff") {
    return <NotAllowed role={role} what="change this business's settings" back={`/businesses/${id}`} />;
  }
  const business = await fetchBusiness(id);
  return (
    <div className="grid-main-side">
      <div>
        <ProfileForm business={business} timezones={timezones()} superadmin={role === "superadmin"} />
        <ChannelsForm business={business} superadmin={role === "superadmin"} />
        <ServicesForm business={business} />
        <HoursForm business={business} />
        <RulesForm business={business} />
        <RemindersForm business={business} />
      </div>
      <section className="card sticky" aria-labelledby="preview-title">
        <div className="card-head">
          <h2 id="preview-title">Prompt preview</h2>
          <span className="muted small">Updates when you save</span>
        </div>
        <Suspense
          fallback={
            <div role="status" aria-label="Loading the prompt preview">
              <Lines count={12} />
            </div>
          }
        >
          <PromptPreview businessId={id} />
        </Suspense>
      </section>
    </div>
  );
}
