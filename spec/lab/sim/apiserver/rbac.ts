/**
 * RBAC over the Roles, ClusterRoles and bindings stored in the cluster (what kubeadm creates:
 * kubeadm:get-nodes, kubeadm:nodes-kubeadm-config, kubeadm:kubeadm-certs, ...), consulted after the
 * fixed built-in rules of authz.ts. Built-in ClusterRoles named by a binding but not stored resolve
 * to their default rules. The stored objects are read once and kept while etcd watches on their
 * prefixes stay quiet, as the real authorizer reads them from informers: a change is seen as soon as
 * its watch event arrives, and an idle apiserver reads nothing. Without a running watch (etcd
 * restarted, the watch failed) they are re-read at most once a second until a watch runs again.
 */
import type { Attributes } from './authz.js';
import { findResource } from './resources.js';
import type { Obj, Store } from './store.js';
import type { UserInfo } from './user.js';

interface Rule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** Default rules of the built-in ClusterRoles that kubeadm binds to. */
const BUILTIN: Record<string, Rule[]> = {
  'cluster-admin': [
    { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
    { verbs: ['*'], nonResourceURLs: ['*'] },
  ],
  'system:node-bootstrapper': [{ verbs: ['create', 'get', 'list', 'watch'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'] }],
  'system:certificates.k8s.io:certificatesigningrequests:nodeclient': [
    { verbs: ['create'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/nodeclient'] },
  ],
  'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient': [
    { verbs: ['create'], apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/selfnodeclient'] },
  ],
  'system:basic-user': [
    {
      verbs: ['create'],
      apiGroups: ['authorization.k8s.io', 'authentication.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews'],
    },
  ],
  view: [
    {
      verbs: ['get', 'list', 'watch'],
      apiGroups: ['', 'apps', 'coordination.k8s.io'],
      resources: ['pods', 'configmaps', 'services', 'endpoints', 'serviceaccounts', 'events', 'daemonsets', 'deployments', 'leases', 'namespaces'],
    },
  ],
};

const kinds = ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings'].map((p) => findResource('rbac.authorization.k8s.io', 'v1', p)!);

/** The etcd key prefixes of the four kinds: `/registry/clusterrole` holds clusterroles and clusterrolebindings, `/registry/role` roles and rolebindings. */
const WATCHED_PREFIXES = ['/registry/clusterrole', '/registry/role'];
/** How long objects read without a running watch are used. */
const UNWATCHED_MS = 1000;
/** How long objects read under a running watch are used without an event (a resync, like an informer's, in case a watch stalls without ending). */
const WATCHED_MS = 30_000;

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

function subjectMatches(s: any, user: UserInfo, bindingNs?: string): boolean {
  if (s.kind === 'User') return s.name === user.username;
  if (s.kind === 'Group') return user.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') return user.username === `system:serviceaccount:${s.namespace ?? bindingNs}:${s.name}`;
  return false;
}

function ruleMatches(rule: Rule, a: Attributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (a.path !== undefined) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path!.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, a.group ?? '')) return false;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  if (!has(rule.resources, res) && !(rule.resources ?? []).includes(`*/${a.subresource ?? ''}`)) return false;
  if (rule.resourceNames?.length) return !!a.name && rule.resourceNames.includes(a.name);
  return true;
}

/** Authorizes by the RBAC objects stored in etcd. */
export class Rbac {
  #cache?: { at: number; objs: Obj[][] };
  #loading?: Promise<Obj[][]>;
  /** Bumped by every watch event: a read that began before it is not kept. */
  #generation = 0;
  /** Stops the running watches; undefined when none runs. */
  #stopWatch?: () => void;
  constructor(readonly store: Store) {}

  async #load(): Promise<Obj[][]> {
    if (this.#cache && Date.now() - this.#cache.at < (this.#stopWatch ? WATCHED_MS : UNWATCHED_MS)) return this.#cache.objs;
    this.#loading ??= this.#read().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #read(): Promise<Obj[][]> {
    const generation = this.#generation;
    const lists = await Promise.all(kinds.map((k) => this.store.list(k)));
    const objs = lists.map((l) => l.items);
    if (generation === this.#generation) this.#cache = { at: Date.now(), objs };
    if (!this.#stopWatch) this.#watch(Math.min(...lists.map((l) => l.revision)) + 1);
    return objs;
  }

  /** Watches the RBAC prefixes from `revision`: any event drops the cache; the end of a watch stops both and drops it. */
  #watch(revision: number): void {
    const changed = () => {
      this.#generation++;
      this.#cache = undefined;
    };
    let stops: (() => void)[] = [];
    const stop = () => {
      for (const s of stops) s();
      stops = [];
      if (this.#stopWatch === stop) this.#stopWatch = undefined;
      changed();
    };
    this.#stopWatch = stop;
    stops = WATCHED_PREFIXES.map((p) => this.store.etcd.watch(p, revision, changed, stop));
  }

  /** Stops the watches (the apiserver is shutting down). */
  close(): void {
    this.#stopWatch?.();
  }

  /** True when a stored binding grants `a` to `user`. */
  async allowed(user: UserInfo, a: Attributes): Promise<boolean> {
    let roles: Obj[], rbs: Obj[], croles: Obj[], crbs: Obj[];
    try {
      [roles, rbs, croles, crbs] = await this.#load();
    } catch {
      return false;
    }
    const clusterRules = (name: string): Rule[] => croles.find((r) => r.metadata.name === name)?.rules ?? BUILTIN[name] ?? [];
    for (const b of crbs) {
      if (b.roleRef?.kind !== 'ClusterRole' || !(b.subjects ?? []).some((s: any) => subjectMatches(s, user))) continue;
      if (clusterRules(b.roleRef.name).some((r) => ruleMatches(r, a))) return true;
    }
    if (!a.namespace) return false;
    for (const b of rbs) {
      if (b.metadata.namespace !== a.namespace || !(b.subjects ?? []).some((s: any) => subjectMatches(s, user, b.metadata.namespace))) continue;
      const rules: Rule[] =
        b.roleRef?.kind === 'Role'
          ? (roles.find((r) => r.metadata.namespace === a.namespace && r.metadata.name === b.roleRef.name)?.rules ?? [])
          : clusterRules(b.roleRef?.name);
      if (rules.some((r) => ruleMatches(r, a))) return true;
    }
    return false;
  }
}
