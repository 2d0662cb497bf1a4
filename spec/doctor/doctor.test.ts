/** kubemend doctor on one 3+2 lab: healthy, then worker-pki, then pki-wipe (destructive, in that order). The expired case shares the renew-certs lab: spec/renew/renew-certs.test.ts. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Lab, sharedLab } from '../helpers/lab.js';

const run = promisify(execFile);
const CLI = new URL('../../dist/lib/cli/main.js', import.meta.url).pathname;
let lab: Lab;

async function doctorRun(): Promise<{ code: number; text: string }> {
  try {
    const r = await run('node', [CLI, 'doctor', '-i', lab.inventoryPath], { timeout: 180_000 });
    return { code: 0, text: r.stdout };
  } catch (e: any) {
    return { code: e.code, text: `${e.stdout}${e.stderr}` };
  }
}

test.before(async (t) => {
  if (process.getuid?.() !== 0) {
    if (process.env.CI === 'true') throw new Error('the doctor lab test needs root');
    return;
  }
  lab = await sharedLab({ masters: 3, workers: 2, net: 94, dir: '/tmp/h-doctor/lab' });
  t.truthy(lab);
});
test.after.always(async () => {
  if (lab && !process.env.KEEP_LAB) await lab.down();
});

test.serial('healthy lab: exit 0, healthy', async (t) => {
  if (!lab) return t.fail('no lab (not root)');
  const r = await doctorRun();
  t.is(r.code, 0, r.text);
  t.regex(r.text, /\nhealthy\n/);
});

test.serial('worker-pki: names the workers and rejoin-workers', async (t) => {
  if (!lab) return t.fail('no lab (not root)');
  const b = await lab.lab(['break', 'worker-pki']);
  t.is(b.code, 0, b.stderr);
  const r = await doctorRun();
  t.is(r.code, 1, r.text);
  t.regex(r.text, /workers? w[12](, w2)? ha(s|ve) no kubelet credentials/);
  t.regex(r.text, /rejoin-workers -i INVENTORY --limit w/);
});

test.serial('pki-wipe: names the masters and recover', async (t) => {
  if (!lab) return t.fail('no lab (not root)');
  const b = await lab.lab(['break', 'pki-wipe']);
  t.is(b.code, 0, b.stderr);
  const r = await doctorRun();
  t.is(r.code, 1, r.text);
  t.regex(r.text, /masters m1-m3 have no PKI/);
  t.regex(r.text, /kubemend run recover/);
});
