// AVA's configuration (it was package.json's "ava" field; a file, because the test files' order is
// a function). Test files run TEST_CONCURRENCY at a time (scripts/test); the files that bring up a
// lab cluster and repair it take minutes each, so they start first, the longest first, and the
// suite does not end with one long file running alone. The order is from full runs on 2 cores
// (README "Development": the suite's time); a file not listed runs after them, in path order.
const LONG_FIRST = [
  'spec/faults/recover-resume.test.ts',
  'spec/recover/recover.test.ts',
  'spec/recover/kubespray-etcd-group.test.ts',
  'spec/recover/kubespray.test.ts',
  'spec/faults/ridethrough.test.ts',
  'spec/recover/zone-rule.test.ts',
  'spec/security/secrets-scan.test.ts',
  'spec/recover/rebuild-one.test.ts',
  'spec/recover/endpoint.test.ts',
  'spec/recover/etcd-data.test.ts',
  'spec/renew/renew-certs.test.ts',
  'spec/lab/fidelity.test.ts',
  'spec/lab/controller-manager.test.ts',
  'spec/lab/node.test.ts',
  'spec/rejoin/rejoin-workers.test.ts',
  'spec/lab/solvability.test.ts',
];

/** Where `file` (an absolute path) is in LONG_FIRST; files not in it come after. */
const rank = (file) => {
  const i = LONG_FIRST.findIndex((f) => file.endsWith(`/${f}`));
  return i === -1 ? LONG_FIRST.length : i;
};

export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '20m',
  files: ['spec/**/*.test.ts'],
  sortTestFiles: (a, b) => rank(a) - rank(b) || a.localeCompare(b, [], { numeric: true }),
};
