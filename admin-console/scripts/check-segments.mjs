// Every route segment of the App Router has its own loading.tsx and error.tsx.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

const appDir = path.resolve(import.meta.dirname, "..", "app");
const missing = [];

function visit(dir) {
  const entries = readdirSync(dir, { withFileTypes: true });
  const isSegment = entries.some((e) => e.isFile() && /^(page|layout)\.tsx$/.test(e.name));
  if (isSegment) {
    for (const file of ["loading.tsx", "error.tsx"]) {
      if (!existsSync(path.join(dir, file))) missing.push(path.relative(appDir, path.join(dir, file)) || file);
    }
  }
  for (const e of entries) {
    // lib/ and ui/ hold code, not routes.
    if (e.isDirectory() && !(dir === appDir && (e.name === "lib" || e.name === "ui"))) visit(path.join(dir, e.name));
  }
}

visit(appDir);
if (missing.length) {
  console.error(`route segments without loading/error files:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log("every route segment has loading.tsx and error.tsx");
