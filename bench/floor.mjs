#!/usr/bin/env node
// The floor of the benchmark (scripts/bench): bare ssh2, no kubemend. One connection per host,
// all hosts connected at once, COUNT commands run one after the other on each connection, host
// keys checked against known_hosts, outputs counted and dropped. Exit 1 when any host failed.
//
//   node bench/floor.mjs --hosts-json H.json --key KEY --known-hosts KH [--count 10] [--kex A,B] [--timeout 120]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';

const { values: a } = parseArgs({
  options: {
    'hosts-json': { type: 'string' },
    key: { type: 'string' },
    'known-hosts': { type: 'string' },
    count: { type: 'string', default: '1' },
    kex: { type: 'string' },
    port: { type: 'string', default: '22' },
    timeout: { type: 'string', default: '120' },
  },
});
for (const k of ['hosts-json', 'key', 'known-hosts']) if (!a[k]) throw new Error(`floor: missing --${k}`);
const hosts = JSON.parse(readFileSync(a['hosts-json'], 'utf8'));
const key = readFileSync(a.key);
const count = Number(a.count);
const port = Number(a.port);
const kex = a.kex ? a.kex.split(',') : undefined;

/** known_hosts: "addr" or "[addr]:port" -> base64 keys (plain names only; the lab's file is not hashed). */
const known = new Map();
for (const line of readFileSync(a['known-hosts'], 'utf8').split('\n')) {
  const [names, , b64] = line.trim().split(/\s+/);
  if (!b64 || names.startsWith('#')) continue;
  for (const n of names.split(',')) known.set(n, [...(known.get(n) ?? []), b64]);
}

function execOne(c, cmd) {
  return new Promise((resolve, reject) => {
    c.exec(cmd, (err, ch) => {
      if (err) return reject(err);
      let bytes = 0;
      ch.on('data', (d) => (bytes += d.length));
      ch.stderr.on('data', (d) => (bytes += d.length));
      ch.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`exit ${code}`))));
    });
  });
}

async function one(h) {
  const name = port === 22 ? h.address : `[${h.address}]:${port}`;
  const c = new ssh2.Client();
  await new Promise((resolve, reject) => {
    c.on('ready', resolve).on('error', reject);
    c.connect({
      host: h.address,
      port,
      username: 'root',
      privateKey: key,
      readyTimeout: Number(a.timeout) * 1000,
      ...(kex ? { algorithms: { kex } } : {}),
      hostVerifier: (blob) => (known.get(name) ?? []).includes(blob.toString('base64')),
    });
  });
  try {
    for (let i = 1; i <= count; i++) await execOne(c, `echo bench ${i}`);
  } finally {
    c.end();
  }
}

const results = await Promise.allSettled(hosts.map(one));
const failed = results.map((r, i) => [hosts[i].name, r]).filter(([, r]) => r.status === 'rejected');
for (const [n, r] of failed) process.stderr.write(`${n} | error: ${r.reason?.message ?? r.reason}\n`);
process.stdout.write(`floor: ${hosts.length - failed.length}/${hosts.length} hosts, ${count} commands each\n`);
process.exit(failed.length ? 1 : 0);
