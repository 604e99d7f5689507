// Load one of the console's import-free TypeScript modules in plain Node: the TypeScript the
// console already builds with strips the types, and the result is imported from a data: URL.
import { readFile } from "node:fs/promises";
import ts from "typescript";

/** The exports of `path` (relative to admin-console/), e.g. "app/lib/next-path.ts". */
export async function importTs(path) {
  const source = await readFile(new URL(`../${path}`, import.meta.url), "utf8");
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: path,
  });
  return import(`data:text/javascript;base64,${Buffer.from(outputText).toString("base64")}`);
}
