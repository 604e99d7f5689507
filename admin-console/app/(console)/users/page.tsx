import type { Metadata } from "next";

import { createUser, deleteUser, setUserActive } from "@/app/lib/actions";
import { fetchMe, fetchUsers } from "@/app/lib/api";
import { getT } from "@/app/lib/i18n";
import { NewMemberForm } from "@/app/ui/team/new-member-form";
import { RowAction } from "@/app/ui/team/row-action";

export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getT("users"))("title") };
}

export default async function UsersPage() {
  const me = await fetchMe();
  const [t, tc] = await Promise.all([getT("users"), getT("common")]);
  if (!me.is_superadmin) {
    return (
      <div className="card" role="alert">
        <h2>{tc("notAllowed")}</h2>
        <p>{t("notAllowedText")}</p>
      </div>
    );
  }
  const users = await fetchUsers();
  return (
    <div className="grid-main-side">
      <section className="card" aria-labelledby="users-title">
        <h1 id="users-title">{t("title")}</h1>
        <table className="table stack-phone">
          <thead>
            <tr>
              <th scope="col">{tc("person")}</th>
              <th scope="col">{t("access")}</th>
              <th scope="col">
                <span className="visually-hidden">{tc("actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <td>
                  <strong>{user.name || user.email}</strong>
                  {user.name ? <div className="muted small">{user.email}</div> : null}
                </td>
                <td>
                  {user.is_superadmin ? (
                    <span className="badge yellow">{t("superadmin")}</span>
                  ) : (
                    <span className="badge">{t("member")}</span>
                  )}{" "}
                  {user.active ? null : <span className="badge red">{t("deactivated")}</span>}{" "}
                  {user.password_change_required ? (
                    <span className="badge" title={t("unclaimedHint")}>
                      {t("unclaimed")}
                    </span>
                  ) : null}
                </td>
                <td>
                  {user.id === me.id ? (
                    <span className="muted small">{tc("you")}</span>
                  ) : (
                    <span className="row">
                      <RowAction
                        run={setUserActive.bind(null, user.id, !user.active)}
                        label={user.active ? t("deactivate") : t("activate")}
                        ariaLabel={t(user.active ? "deactivateAria" : "activateAria", { email: user.email })}
                      />
                      <RowAction
                        run={deleteUser.bind(null, user.id)}
                        label={t("delete")}
                        ariaLabel={t("deleteAria", { email: user.email })}
                        confirm={t("deleteConfirm", { email: user.email })}
                        danger
                      />
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <NewMemberForm action={createUser} title={t("create")} extra="superadmin-flag" submitLabel={t("createButton")} />
    </div>
  );
}
