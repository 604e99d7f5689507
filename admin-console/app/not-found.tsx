import Link from "next/link";

export default function NotFound() {
  return (
    <main className="page">
      <div className="card">
        <h1>Not found</h1>
        <p className="muted">This page does not exist, or it belongs to a business you cannot see.</p>
        <Link href="/businesses">Back to your businesses</Link>
      </div>
    </main>
  );
}
