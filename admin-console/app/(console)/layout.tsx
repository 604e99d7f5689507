import { Suspense } from "react";

import { TopBar } from "@/app/ui/top-bar";

export default function ConsoleLayout({ children }: { children: React.ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Suspense
        fallback={
          <header className="topbar">
            <span className="brand">Booking bot</span>
          </header>
        }
      >
        <TopBar />
      </Suspense>
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}
