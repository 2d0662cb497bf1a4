/** Step 3: other masters: the etcd CA copied from the first master. */
import type { HostPhase } from '../../lib/core/types.js';
import { inventoryFirst, otherMasters } from '../../lib/core/hosts.js';
import { type RecoverOptions, rebuildsKubeadmEtcd } from './common.js';
import { copyPki } from './copy.js';

/** Step 3. */
export const etcdCaCopyPhase: HostPhase<RecoverOptions> = {
  id: 'etcd/ca-copy',
  title: '3. Other masters: copy etcd/ca.{crt,key} from the first master',
  hosts: otherMasters,
  strategy: { kind: 'serial' },
  destructive: true,
  shouldRun: rebuildsKubeadmEtcd, // kubespray's layout: its etcd service and CA kept (shared/layout.ts)
  async run(h) {
    await copyPki(h, inventoryFirst(h), ['etcd/ca.crt', 'etcd/ca.key']);
  },
};
