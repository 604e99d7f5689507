import { expect, test } from "@playwright/test";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

// A second console, of the same build, whose admin API address answers nothing: what a reader
// sees when the API is down. The API and the console scripts/ci.sh started are not touched.
const CONSOLE_DIR = path.resolve(__dirname, "..");
let server: ChildProcess | undefined;
let url = "";

/** `count` different ports nothing listens on once this returns. */
async function freePorts(count: number): Promise<number[]> {
  const probes = Array.from({ length: count }, () => createServer());
  await Promise.all(probes.map((p) => new Promise<void>((resolve) => p.listen(0, "127.0.0.1", resolve))));
  const ports = probes.map((p) => {
    const address = p.address();
    if (!address || typeof address === "string") throw new Error("no free port");
    return address.port;
  });
  await Promise.all(probes.map((p) => new Promise<void>((resolve) => p.close(() => resolve()))));
  return ports;
}

test.beforeAll(async () => {
  const [port, deadApi] = await freePorts(2);
  url = `http://127.0.0.1:${port}`;
  let log = "";
  server = spawn(path.join(CONSOLE_DIR, "node_modules/.bin/next"), ["start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: CONSOLE_DIR,
    env: { ...process.env, ADMIN_API_URL: `http://127.0.0.1:${deadApi}`, TRUSTED_PROXY_HOPS: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.on("data", (chunk) => (log += chunk));
  server.stderr?.on("data", (chunk) => (log += chunk));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the second console exited:\n${log}`);
    if (Date.now() > deadline) throw new Error(`the second console did not start within 60 s:\n${log}`);
    const up = await fetch(`${url}/login`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
});

test.afterAll(async () => {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server?.once("exit", resolve));
  server.kill();
  await exited;
});

test("signing in while the admin API is down says so in Spanish", async ({ browser }) => {
  const context = await browser.newContext({ baseURL: url, locale: "es-ES" });
  const page = await context.newPage();
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await page.getByLabel("Correo electrónico").fill("admin@example.com");
  await page.getByLabel("Contraseña").fill("not-checked");
  await page.getByRole("button", { name: "Iniciar sesión" }).click();
  await expect(page.getByRole("main").getByRole("alert")).toHaveText(
    "No se puede conectar con la API de administración. Vuelve a intentarlo en un momento.",
  );
  await expect(page).toHaveURL(/\/login/);
  await context.close();
});
