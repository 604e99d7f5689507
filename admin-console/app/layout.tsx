import type { Metadata, Viewport } from "next";

import { getLang } from "@/app/lib/i18n";

import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Booking bot console", template: "%s · Booking bot console" },
  description: "Settings, conversations and appointments of the WhatsApp booking bot",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang={await getLang()}>
      <body>{children}</body>
    </html>
  );
}
