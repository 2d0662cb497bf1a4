/**
 * Unit tests of the lab kubelet's heartbeat against the real one's rules
 * (pkg/kubelet/kubelet_node_status.go tryUpdateNodeStatus): the Lease is renewed every beat; the
 * Node is read, and its status patched only when it differs from the kubelet's (heartbeat times
 * aside, nodeStatusHasChanged) or the report period has passed; a Node that is gone is registered again.
 */
import test from 'ava';
import type { KubeClient } from '../kubeclient.js';
import { NodeAgent, statusGist } from './node.js';

/** A fake apiserver: the Node's status as it stands, and the calls made. */
function rig() {
  const calls: string[] = [];
  const state: { node?: any } = {};
  const client = {
    async get(path: string) {
      calls.push(`GET ${path}`);
      if (path.includes('/leases/')) return { status: 200, body: { metadata: { name: 'w1' }, spec: {} }, text: '' };
      return state.node ? { status: 200, body: state.node, text: '' } : { status: 404, body: {}, text: 'not found' };
    },
    async put(path: string, body: any) {
      calls.push(`PUT ${path}`);
      return { status: 200, body, text: '' };
    },
    async patch(path: string, body: any) {
      calls.push(`PATCH ${path}`);
      if (!state.node) return { status: 404, body: {}, text: 'not found' };
      state.node = { ...state.node, status: structuredClone(body.status) };
      return { status: 200, body: state.node, text: '' };
    },
  } as unknown as KubeClient;
  const agent = new NodeAgent(client, { name: 'w1', ip: '10.0.0.1', port: 10250, labels: {}, taints: [] });
  agent.registered = true;
  state.node = { metadata: { name: 'w1' }, status: {} };
  return { agent, calls, state, patches: () => calls.filter((c) => c.startsWith('PATCH')).length };
}

test('the status is patched on the first beat, then only read while nothing but heartbeat times would change', async (t) => {
  const r = rig();
  await r.agent.heartbeat();
  t.is(r.patches(), 1);
  r.calls.length = 0;
  await r.agent.heartbeat();
  await r.agent.heartbeat();
  t.deepEqual(r.calls, [
    'PUT /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/w1',
    'GET /api/v1/nodes/w1?resourceVersion=0',
    'PUT /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/w1',
    'GET /api/v1/nodes/w1?resourceVersion=0',
  ]);
});

test('a Ready condition someone else changed (the node-lifecycle controller: Unknown) is patched back at the next beat', async (t) => {
  const r = rig();
  await r.agent.heartbeat();
  const ready = r.state.node.status.conditions.find((c: any) => c.type === 'Ready');
  Object.assign(ready, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
  await r.agent.heartbeat();
  t.is(r.patches(), 2);
  t.is(r.state.node.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
});

test('a Node deleted under a running kubelet is seen at the next beat (the kubelet registers it again)', async (t) => {
  const r = rig();
  await r.agent.heartbeat();
  r.state.node = undefined;
  await t.throwsAsync(() => r.agent.heartbeat(), { message: /nodes "w1" not found/ });
  t.false(r.agent.registered);
});

test('statusGist: heartbeat times and condition types the kubelet does not post are left out; a status or an address counts', (t) => {
  const cond = (type: string, status: string, at: string) => ({ type, status, reason: 'r', message: 'm', lastHeartbeatTime: at, lastTransitionTime: 'x' });
  const types = ['Ready'];
  const a = { conditions: [cond('Ready', 'True', '10:00')], addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] };
  const b = { conditions: [cond('Ready', 'True', '10:05'), cond('NetworkUnavailable', 'False', '9:00')], addresses: a.addresses };
  t.is(statusGist(a, types), statusGist(b, types));
  t.not(statusGist(a, types), statusGist({ ...a, conditions: [cond('Ready', 'Unknown', '10:00')] }, types));
  t.not(statusGist(a, types), statusGist({ ...a, addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] }, types));
});
