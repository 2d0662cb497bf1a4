/** Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/<group>/<version>`) and `/version`, as the real apiserver serves them. */
import { GROUPS, RESOURCES } from './resources.js';

/** The version this simulated apiserver reports. */
export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitCommit: '59526cd4867447956156ae3a602fcbac10a2c335',
  gitTreeState: 'clean',
  buildDate: '2025-04-22T16:02:27Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** `/api`. */
export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** `/apis`. */
export function apiGroupList(): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: GROUPS.map((g) => ({
      name: g.name,
      versions: [{ groupVersion: `${g.name}/${g.version}`, version: g.version }],
      preferredVersion: { groupVersion: `${g.name}/${g.version}`, version: g.version },
    })),
  };
}

/** `/apis/<group>`. */
export function apiGroup(name: string): unknown | undefined {
  const g = GROUPS.find((x) => x.name === name);
  if (!g) return undefined;
  const gv = { groupVersion: `${g.name}/${g.version}`, version: g.version };
  return { kind: 'APIGroup', apiVersion: 'v1', name: g.name, versions: [gv], preferredVersion: gv };
}

/** Create-only subresources and the kind (and group, when not the resource's own) they take, as real discovery lists them. */
const SUBRESOURCE_KINDS: Record<string, { kind: string; group?: string; version?: string }> = {
  binding: { kind: 'Binding' },
  eviction: { kind: 'Eviction', group: 'policy', version: 'v1' },
  token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' },
};

/** `/api/v1` or `/apis/<group>/<version>`: the APIResourceList with subresources. */
export function apiResourceList(group: string, version: string): unknown | undefined {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (rs.length === 0) return undefined;
  const resources: unknown[] = [];
  for (const r of rs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      const sub = SUBRESOURCE_KINDS[s];
      const verbs = sub ? ['create'] : ['get', 'patch', 'update'];
      resources.push({
        name: `${r.plural}/${s}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(sub?.group ? { group: sub.group, version: sub.version } : {}),
        kind: sub?.kind ?? r.kind,
        verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}
