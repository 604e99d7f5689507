import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { addStaff, removeStaff } from "@/app/lib/actions";
import { fetchMe, fetchRole, fetchStaff } from "@/app/lib/api";
import { positiveInt, type BusinessParams } from "@/app/lib/params";
import { formatDay } from "@/app/lib/time";
import { NotAllowed } from "@/app/ui/not-allowed";
import { NewMemberForm } from "@/app/ui/team/new-member-form";
import { RowAction } from "@/app/ui/team/row-action";

export const metadata: Metadata = { title: "Team" };

export default async function TeamPage({ params }: BusinessParams) {
  const id = positiveInt((await params).id);
  if (!id) notFound();
  const role = await fetchRole(id);
  if (role === "staff") return <NotAllowed role={role} what="manage the team" back={`/businesses/${id}`} />;
  const [me, staff] = await Promise.all([fetchMe(), fetchStaff(id)]);
  const superadmin = role === "superadmin";
  return (
    <div className="grid-main-side">
      <section className="card" aria-labelledby="team-title">
        <h2 id="team-title">Team</h2>
        <p className="muted small">
          Owners change settings and manage staff. Staff read conversations and appointments, take over conversations
          and cancel appointments.
        </p>
        {staff.length === 0 ? <p className="muted">Nobody yet.</p> : null}
        <table className="table stack-phone">
          <thead>
            <tr>
              <th scope="col">Person</th>
              <th scope="col">Role</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
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
                    {member.id === me.id ? <span className="badge"> you</span> : null}
                    <div className="muted small">added {formatDay(member.added_at.slice(0, 10), "long")}</div>
                  </td>
                  <td>
                    <span className={`badge${member.role === "owner" ? " green" : ""}`}>{member.role}</span>
                  </td>
                  <td>
                    {removable ? (
                      <RowAction
                        run={removeStaff.bind(null, id, member.id)}
                        label="Remove"
                        ariaLabel={`Remove ${member.email} from the team`}
                        confirm={`Remove ${member.email} from this business?`}
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
        title={superadmin ? "Add a member" : "Add staff"}
        extra={superadmin ? "owner-role" : undefined}
        submitLabel={superadmin ? "Add member" : "Add staff"}
      />
    </div>
  );
}
