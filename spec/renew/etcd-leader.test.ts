/** Parsing etcdctl's simple output for the leader hand-off before a rolling restart. */
import test from 'ava';
import { otherMembers, parseLocalStatus } from '../../playbooks/renew/etcd-leader.js';

const STATUS = 'https://127.0.0.1:2379, 651eaef10ed10b75, 3.4.23, 4.4 MB, true, false, 251, 2139, 2139, \n';
const MEMBERS = `3ff7122d35ec5cba, started, m2, https://10.97.1.11:2380, https://10.97.1.11:2379, false
651eaef10ed10b75, started, m1, https://10.97.1.10:2380, https://10.97.1.10:2379, false
a1b2c3d4e5f60718, unstarted, , https://10.97.1.14:2380, , false
c6f1047770c35b42, started, m3, https://10.97.1.12:2380, https://10.97.1.12:2379, true
`;

test('the local member and whether it leads, from endpoint status; null when etcd did not answer', (t) => {
  t.deepEqual(parseLocalStatus(STATUS), { id: '651eaef10ed10b75', leader: true });
  t.deepEqual(parseLocalStatus(STATUS.replace(', true, false,', ', false, false,')), { id: '651eaef10ed10b75', leader: false });
  t.is(parseLocalStatus('Failed to get the status of endpoint https://127.0.0.1:2379 (context deadline exceeded)'), null);
});

test('leadership goes only to another started voting member (not self, not unstarted, not a learner)', (t) => {
  t.deepEqual(otherMembers(MEMBERS, '651eaef10ed10b75'), ['3ff7122d35ec5cba']);
});

test('a member of an already restarted master is preferred', (t) => {
  const m = MEMBERS.replace(/, true\n$/, ', false\n');
  t.deepEqual(otherMembers(m, '651eaef10ed10b75'), ['3ff7122d35ec5cba', 'c6f1047770c35b42']);
  t.deepEqual(otherMembers(m, '651eaef10ed10b75', ['m3']), ['c6f1047770c35b42', '3ff7122d35ec5cba']);
});
