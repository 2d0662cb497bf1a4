/**
 * The unit tests: every spec test file that needs neither root nor a lab, for `npm run test:unit`.
 * A test file needs a lab when it, or any file it imports (relative imports, followed to the end),
 * imports the lab fixture (spec/helpers/lab.ts: requireRoot, sharedLab, runLab, scripts/lab).
 * Derived from the imports, so a new lab test cannot slip into the unit list; spec/core/unit-tests.test.ts
 * checks the derivation. Run directly, it prints the list, one file a line (paths from the repository);
 * with --lab, the other files (scripts/test runs the two lists side by side).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The repository this checkout holds. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The lab fixture: importing it (directly or through a helper) makes a test a lab test. */
export const LAB_FIXTURE = 'spec/helpers/lab.ts';

/**
 * Relative module specifiers of a TypeScript source: static imports, re-exports and import(), as
 * TypeScript's own scanner reads them (so text that only looks like an import, in a string, is not one).
 */
export function relativeImports(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((f) => /^\.{1,2}\//.test(f));
}

/** The file a relative specifier names, from `from` (a .ts file): `./x.js` is `./x.ts` in the sources. */
function resolveSpecifier(from: string, spec: string): string {
  const abs = resolve(dirname(from), spec);
  return abs.endsWith('.js') ? `${abs.slice(0, -3)}.ts` : abs;
}

/** The .ts files `file` imports relatively (absolute paths); none for a file that cannot be read. */
function importsOf(file: string, cache: Map<string, string[]>): string[] {
  let deps = cache.get(file);
  if (!deps) {
    let source = '';
    try {
      source = readFileSync(file, 'utf8');
    } catch {
      // not a source file of the repository (a .json, a .mjs script): it imports nothing we follow
    }
    deps = relativeImports(source)
      .map((s) => resolveSpecifier(file, s))
      .filter((d) => d.endsWith('.ts'));
    cache.set(file, deps);
  }
  return deps;
}

/** True when `file` (absolute) reaches the lab fixture through its relative imports, however deep. */
export function needsLab(file: string, root = REPO, cache = new Map<string, string[]>()): boolean {
  const fixture = join(root, LAB_FIXTURE);
  const seen = new Set([file]);
  const todo = [file];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    for (const dep of importsOf(f, cache)) {
      if (dep === fixture) return true;
      if (!seen.has(dep)) {
        seen.add(dep);
        todo.push(dep);
      }
    }
  }
  return false;
}

/** Every spec/**\/*.test.ts file, paths from `root`, sorted. */
export function testFiles(root = REPO): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.test.ts')) out.push(relative(root, p));
    }
  };
  walk(join(root, 'spec'));
  return out.sort();
}

/** The test files that need neither root nor a lab, paths from `root`. */
export function unitTestFiles(root = REPO): string[] {
  const cache = new Map<string, string[]>();
  return testFiles(root).filter((f) => !needsLab(join(root, f), root, cache));
}

/** The test files that need a lab (every other one), paths from `root`. */
export function labTestFiles(root = REPO): string[] {
  const unit = new Set(unitTestFiles(root));
  return testFiles(root).filter((f) => !unit.has(f));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const files = process.argv.includes('--lab') ? labTestFiles() : unitTestFiles();
  process.stdout.write(`${files.join('\n')}\n`);
}
