#!/usr/bin/env node
// The CLI as one bundle (esbuild): dist/bin/kubemend.js, what package.json's bin, scripts/kubemend
// and scripts/bench run. Built from the same sources as dist/lib (tsc) and the tests (tsx); it
// only spares node reading and linking ~600 module files at every start (docs/benchmarks.md,
// "Start-up"). Modules loaded on first use (the Kubernetes API client, an X.509 parser, winston,
// the prompts) stay in chunks of their own, loaded when a command needs them. ssh2 stays in
// node_modules: it looks for its optional native crypto binding next to its own files.
//
//   node scripts/bundle.mjs [--outdir dist/bin] [--metafile FILE]
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const { values: a } = parseArgs({ options: { outdir: { type: 'string', default: join(ROOT, 'dist/bin') }, metafile: { type: 'string' } } });

/**
 * zod's classic API re-exports its 64 locales (`z.locales`, 366 KB, a fifth of the entry); kubemend
 * uses none but English, which zod's schemas import on their own (v4/classic/schemas.js). The
 * locales index is built as English only: less for V8 to compile at every start.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (r) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(r.importer) ? { path: join(dirname(r.importer), '../locales/en.js'), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (r) => ({
      contents: `export { default as en } from ${JSON.stringify(r.path)};`,
      resolveDir: dirname(r.path),
    }));
  },
};

rmSync(a.outdir, { recursive: true, force: true });
const r = await build({
  absWorkingDir: ROOT,
  entryPoints: { kubemend: 'lib/cli/main.ts' },
  outdir: a.outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['ssh2', 'cpu-features'],
  // lib/core/version.ts: the version is part of the bundle, not looked up from where it lies
  define: { KUBEMEND_BUNDLED_VERSION: JSON.stringify(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version) },
  // CommonJS packages inside an ES module bundle still call require() (node's own modules, ssh2)
  banner: { js: "import { createRequire as __kubemendRequire } from 'node:module'; const require = __kubemendRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  metafile: !!a.metafile,
  plugins: [zodEnglishOnly],
});
chmodSync(join(a.outdir, 'kubemend.js'), 0o755);
if (a.metafile) (await import('node:fs')).writeFileSync(a.metafile, JSON.stringify(r.metafile));
