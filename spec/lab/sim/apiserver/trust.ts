/**
 * The ClusterAuthenticationTrustController: keeps ConfigMap kube-system/extension-apiserver-authentication
 * holding the UNION of the CA bundles already there and the ones this apiserver loaded (old CAs stay
 * until someone deletes the ConfigMap; it is then rewritten with the current ones only).
 */
import { X509Certificate } from 'node:crypto';
import { ApiError } from './status.js';
import { findResource } from './resources.js';
import type { Store } from './store.js';
import { info, warn } from './log.js';

/** What this apiserver contributes (as loaded from its flags at start). */
export interface AuthenticationInfo {
  clientCA?: string;
  requestHeaderCA?: string;
  requestHeaderAllowedNames: string[];
  requestHeaderUsernameHeaders: string[];
  requestHeaderGroupHeaders: string[];
  requestHeaderExtraHeaderPrefixes: string[];
}

const configmaps = findResource('', 'v1', 'configmaps')!;
const NAME = 'extension-apiserver-authentication';

/** Split a PEM bundle into certificate blocks. */
export function pemBlocks(bundle: string | undefined): string[] {
  return (bundle ?? '').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Union of two PEM bundles: existing first, duplicates and expired certificates dropped. */
export function combineBundles(existing: string | undefined, current: string | undefined): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const block of [...pemBlocks(existing), ...pemBlocks(current)]) {
    let der: string;
    try {
      const c = new X509Certificate(block);
      if (Date.parse(c.validTo) < Date.now()) continue;
      der = c.raw.toString('base64');
    } catch {
      continue;
    }
    if (seen.has(der)) continue;
    seen.add(der);
    out.push(block + '\n');
  }
  return out.join('');
}

function combineList(existing: string | undefined, current: string[]): string {
  let old: string[] = [];
  try {
    old = existing ? JSON.parse(existing) : [];
  } catch {
    old = [];
  }
  return JSON.stringify([...new Set([...(old ?? []), ...current])]);
}

/** The ConfigMap data after merging `cur` into `existing`. */
export function mergedData(existing: Record<string, string> | undefined, cur: AuthenticationInfo): Record<string, string> {
  const e = existing ?? {};
  const data: Record<string, string> = {};
  if (cur.clientCA || e['client-ca-file']) data['client-ca-file'] = combineBundles(e['client-ca-file'], cur.clientCA);
  if (cur.requestHeaderCA || e['requestheader-client-ca-file']) {
    data['requestheader-client-ca-file'] = combineBundles(e['requestheader-client-ca-file'], cur.requestHeaderCA);
    data['requestheader-allowed-names'] = combineList(e['requestheader-allowed-names'], cur.requestHeaderAllowedNames);
    data['requestheader-extra-headers-prefix'] = combineList(e['requestheader-extra-headers-prefix'], cur.requestHeaderExtraHeaderPrefixes);
    data['requestheader-group-headers'] = combineList(e['requestheader-group-headers'], cur.requestHeaderGroupHeaders);
    data['requestheader-username-headers'] = combineList(e['requestheader-username-headers'], cur.requestHeaderUsernameHeaders);
  }
  return data;
}

/** Write the merged ConfigMap once (create it when missing). */
export async function syncTrust(store: Store, cur: AuthenticationInfo): Promise<void> {
  const existing = await store.tryGet(configmaps, 'kube-system', NAME);
  if (!existing) {
    const data = mergedData(undefined, cur);
    await store.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: NAME, namespace: 'kube-system' }, data });
    info(`created kube-system/${NAME}`);
    return;
  }
  const data = mergedData(existing.data, cur);
  if (JSON.stringify(data) === JSON.stringify(existing.data ?? {})) return;
  existing.data = data;
  await store.update(configmaps, existing, Number(existing.metadata.resourceVersion));
  info(`updated kube-system/${NAME} (merged CA bundles)`);
}

/** Run syncTrust now and every `seconds`; returns a stop function. */
export function runTrustController(store: Store, cur: AuthenticationInfo, seconds: number): () => void {
  const tick = () =>
    syncTrust(store, cur).catch((e) => {
      if (!(e instanceof ApiError && e.code === 409)) warn(`sync kube-system/${NAME}: ${(e as Error).message}`);
    });
  void tick();
  const t = setInterval(tick, seconds * 1000);
  return () => clearInterval(t);
}
