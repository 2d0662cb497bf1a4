/** Node readiness, without loading the API client (the CLI imports this at start-up). */
import type { V1Node } from '@kubernetes/client-node';

/** True when the Node's Ready condition is True. */
export function nodeReady(node: V1Node): boolean {
  return (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
