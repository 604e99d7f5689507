import Link from "next/link";

import { fetchMe } from "@/app/lib/api";
import { signOut } from "@/app/lib/actions";

export async function TopBar() {
  const me = await fetchMe();
  return (
    <header className="topbar">
      <Link href="/businesses" className="brand">
        Booking bot
      </Link>
      <nav aria-label="Main">
        <Link href="/businesses">Businesses</Link>
        {me.is_superadmin ? <Link href="/users">Users</Link> : null}
      </nav>
      <div className="who">
        <span className="email" title={me.email}>
          {me.name || me.email}
        </span>
        {me.is_superadmin ? <span className="badge yellow">superadmin</span> : null}
        <form action={signOut}>
          <button type="submit" className="link">
            Sign out
          </button>
        </form>
      </div>
    </header>
  );
}
