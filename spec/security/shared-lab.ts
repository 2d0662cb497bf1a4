/**
 * The one lab (net 98, a 1+2 cluster with the sudo users) that spec/security and spec/faults
 * share: ava runs test files in parallel processes, so each file holds a lock on the lab while it
 * uses it, and the last of these files in an ava run takes it down (one `up` for all of them).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Lab, labDir, sharedLab } from '../helpers/lab.js';
import { ROOT } from '../cli/run-cli.js';
import { pollUntil } from '../helpers/wait.js';

/** The shape and place of the lab (net id 98 belongs to these files). */
export const SEC_LAB = { masters: 1, workers: 2, sudoUser: true, net: 98, dir: '/tmp/h-sec/lab' } as const;

/** The test files that use this lab (paths from the repository root). */
export const LAB_FILES = ['spec/security/metachar.test.ts', 'spec/faults/bad-answers.test.ts', 'spec/security/secrets-scan.test.ts'];

const LOCK = labDir('/tmp/h-sec/lab.lock');
const DONE = labDir('/tmp/h-sec/lab.done');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Take the lab lock (a folder holding our pid; a dead holder's lock is taken over). */
async function lock(): Promise<void> {
  mkdirSync(dirname(LOCK), { recursive: true });
  await pollUntil(
    'the net-98 lab lock (another spec/security or spec/faults file is using the lab)',
    () => {
      try {
        mkdirSync(LOCK);
        writeFileSync(join(LOCK, 'pid'), String(process.pid));
        return true;
      } catch {
        const pid = Number(existsSync(join(LOCK, 'pid')) ? readFileSync(join(LOCK, 'pid'), 'utf8') : 0);
        if (pid && !alive(pid)) rmSync(LOCK, { recursive: true, force: true });
        return false;
      }
    },
    9 * 60_000,
    500,
  );
}

/** The parent ava process's file arguments; undefined when the parent is not ava (then: this file alone). */
function avaRun(): { id: string; files: string[] } | undefined {
  let args: string[];
  try {
    args = readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
  const i = args.findIndex((a) => /(^|\/)ava(\/|$|\.js$)|ava\/entrypoints/.test(a));
  if (i < 0) return undefined;
  const patterns = args
    .slice(i + 1)
    .filter((a) => !a.startsWith('-') && existsSync(join(process.cwd(), a)))
    .map((a) => relative(ROOT, join(process.cwd(), a)).replace(/\/$/, ''));
  const files = patterns.length === 0 ? LAB_FILES : LAB_FILES.filter((f) => patterns.some((p) => f === p || f.startsWith(`${p}/`)));
  return { id: String(process.ppid), files };
}

/** Files of this ava run that have finished with the lab. */
function doneFiles(id: string): string[] {
  try {
    const d = JSON.parse(readFileSync(DONE, 'utf8')) as { id: string; files: string[] };
    return d.id === id ? d.files : [];
  } catch {
    return [];
  }
}

let held: Promise<Lab> | undefined;

/** Wait for the lab lock (once per file), then bring the lab up or reuse it. */
export function acquireLab(): Promise<Lab> {
  held ??= (async () => {
    await lock();
    try {
      return await sharedLab(SEC_LAB);
    } catch (e) {
      rmSync(LOCK, { recursive: true, force: true });
      held = undefined;
      throw e;
    }
  })();
  return held;
}

/** Give the lab back; the last file of this ava run (or a file run on its own) takes it down. Call in test.after.always. */
export async function releaseLab(testFile: string): Promise<void> {
  const me = relative(ROOT, fileURLToPath(testFile));
  if (
    !held ||
    !(await held.then(
      () => true,
      () => false,
    ))
  )
    return;
  try {
    const run = avaRun();
    let last = true;
    if (run) {
      const done = [...new Set([...doneFiles(run.id), me])];
      writeFileSync(DONE, JSON.stringify({ id: run.id, files: done }));
      last = run.files.every((f) => done.includes(f));
    }
    if (last) {
      await (await sharedLab(SEC_LAB)).down();
      rmSync(DONE, { force: true });
    }
  } finally {
    held = undefined;
    rmSync(LOCK, { recursive: true, force: true });
  }
}
