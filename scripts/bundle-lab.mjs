#!/usr/bin/env node
// The lab's programs as one file each (esbuild), over what tsc wrote to dist-lab/ at the same path:
// every simulated binary (spec/lab/sim/*/main.ts) and systemctl's supervisor. A lab cluster starts
// them thousands of times in a test run (kubeadm, crictl, systemctl calls; the control plane and the
// pods restarted by each repair): one file spares node reading and linking ~100 modules at each
// start (about 0.12 s of CPU: spec/lab/README.md). Not split: a program's paths from
// import.meta.url (systemctl's supervise.js, the CRI's sim folder) stay those of its own folder.
// The cluster scripts (spec/lab/cluster) stay as tsc wrote them: they run once per lab command and
// import one another's modules, whose run-as-a-script checks would all fire in one bundle.
//
//   node scripts/bundle-lab.mjs [--outdir dist-lab]
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const { values: a } = parseArgs({ options: { outdir: { type: 'string', default: join(ROOT, 'dist-lab') } } });

const sim = 'spec/lab/sim';
const entryPoints = readdirSync(join(ROOT, sim), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, sim, d.name, 'main.ts')))
  .map((d) => `${sim}/${d.name}/main.ts`);
entryPoints.push(`${sim}/systemctl/supervise.ts`);

await build({
  absWorkingDir: ROOT,
  entryPoints,
  outdir: a.outdir,
  outbase: '.',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS packages inside an ES module bundle still call require() (node's own modules)
  banner: { js: "import { createRequire as __labRequire } from 'node:module'; const require = __labRequire(import.meta.url);" },
  allowOverwrite: true,
  logLevel: 'warning',
});
