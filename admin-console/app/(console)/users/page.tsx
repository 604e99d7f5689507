import type { Metadata } from "next";

import { createUser, deleteUser, setUserActive } from "@/app/lib/actions";
import { fetchMe, fetchUsers } from "@/app/lib/api";
import { NewMemberForm } from "@/app/ui/team/new-member-form";
import { RowAction } from "@/app/ui/team/row-action";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const me = await fetchMe();
  if (!me.is_superadmin) {
    return (
      <div className="card" role="alert">
        <h2>Not allowed</h2>
        <p>Only superadmins manage user accounts. Owners add staff from their business&apos;s Team page.</p>
      </div>
    );
  }
  const users = await fetchUsers();
  return (
    <div className="grid-main-side">
      <section className="card" aria-labelledby="users-title">
        <h1 id="users-title">Users</h1>
        <table className="table stack-phone">
          <thead>
            <tr>
              <th scope="col">Person</th>
              <th scope="col">Access</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
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
                    <span className="badge yellow">superadmin</span>
                  ) : (
                    <span className="badge">member</span>
                  )}{" "}
                  {user.active ? null : <span className="badge red">deactivated</span>}
                </td>
                <td>
                  {user.id === me.id ? (
                    <span className="muted small">you</span>
                  ) : (
                    <span className="row">
                      <RowAction
                        run={setUserActive.bind(null, user.id, !user.active)}
                        label={user.active ? "Deactivate" : "Activate"}
                        ariaLabel={`${user.active ? "Deactivate" : "Activate"} ${user.email}`}
                      />
                      <RowAction
                        run={deleteUser.bind(null, user.id)}
                        label="Delete"
                        ariaLabel={`Delete ${user.email}`}
                        confirm={`Delete ${user.email}? Their memberships go too.`}
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
      <NewMemberForm action={createUser} title="Create a user" extra="superadmin-flag" submitLabel="Create user" />
    </div>
  );
}
