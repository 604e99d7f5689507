import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { addStaff, removeStaff } from "@/app/lib/actions";
import { fetchBusiness, fetchMe, fetchRole, fetchStaff } from "@/app/lib/api";
import { getLang, getT } from "@/app/lib/i18n";
import { businessLocale } from "@/app/lib/locale";
import { positiveInt, type BusinessParams } from "@/app/lib/params";
import { formatDay, localParts } from "@/app/lib/time";
import { NotAllowed } from "@/app/ui/not-allowed";
import { NewMemberForm } from "@/app/ui/team/new-member-form";
import { RowAction } from "@/app/ui/team/row-action";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("team"))("title") };
}

export default async function TeamPage({ params }: BusinessParams) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const role = await fetchRole(id);
  const [t, tc] = await Promise.all([getT("team"), getT("common")]);
  if (role === "staff") return <NotAllowed role={role} what={t("notAllowed")} back={`/businesses/${id}`} />;
  const [me, staff, business] = await Promise.all([fetchMe(), fetchStaff(id), fetchBusiness(id)]);
  const locale = businessLocale(await getLang(), business.timezone);
  const superadmin = role === "superadmin";
  return (
    <div className="grid-main-side">
      <section className="card" aria-labelledby="team-title">
        <h2 id="team-title">{t("title")}</h2>
        <p className="muted small">{t("intro")}</p>
        {staff.length === 0 ? <p className="muted">{t("nobody")}</p> : null}
        <table className="table stack-phone">
          <thead>
            <tr>
              <th scope="col">{tc("person")}</th>
              <th scope="col">{t("role")}</th>
              <th scope="col">
                <span className="visually-hidden">{tc("actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {staff.map((member) => {
              // Owners can remove staff only; superadmins anyone. Nobody removes themselves here.
              const removable = member.id !== me.id && (superadmin || member.role === "staff");
              return (
                <tr key={member.id}>
                  <td>
                    <strong>{member.email}</strong>
                    {member.id === me.id ? <span className="badge"> {tc("you")}</span> : null}
                    <div className="muted small">
                      {/* The business's day: 00:30 in Madrid is the day before in UTC. */}
                      {t("added", {
                        date: formatDay(localParts(member.added_at, business.timezone).date, "long", locale),
                      })}
                    </div>
                  </td>
                  <td>
                    <span className={`badge${member.role === "owner" ? " green" : ""}`}>
                      {tc(`roles.${member.role}`)}
                    </span>
                  </td>
                  <td>
                    {removable ? (
                      <RowAction
                        run={removeStaff.bind(null, id, member.id)}
                        label={t("remove")}
                        ariaLabel={t("removeAria", { email: member.email })}
                        confirm={t("removeConfirm", { email: member.email })}
                        danger
                      />
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      <NewMemberForm
        action={addStaff.bind(null, id)}
        title={superadmin ? t("addMember") : t("addStaff")}
        extra={superadmin ? "owner-role" : undefined}
        submitLabel={superadmin ? t("addMemberButton") : t("addStaff")}
      />
    </div>
  );
}
