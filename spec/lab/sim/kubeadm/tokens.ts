/**
 * Bootstrap tokens as kubeadm keeps them: `[a-z0-9]{6}.[a-z0-9]{16}`, stored as Secrets
 * `kube-system/bootstrap-token-<id>` of type `bootstrap.kubernetes.io/token`.
 */
import { randomInt } from 'node:crypto';
import { type Api, b64map, unb64map } from './api.js';
import { type BootstrapTokenSpec, parseDuration } from './config.js';

/** The bootstrap token format. */
export const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random bootstrap token. */
export function generateToken(): string {
  const pick = (n: number) => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/** Split a token into id and secret, or fail with kubeadm's message. */
export function parseToken(t: string): { id: string; secret: string } {
  const m = TOKEN_RE.exec(t);
  if (!m)
    throw new Error(
      `the bootstrap token "${t}" was not of the form "${TOKEN_RE.source
        .replace(/^\^|\$$/g, '')
        .replace('([a-z0-9]{6})', '[a-z0-9]{6}')
        .replace('([a-z0-9]{16})', '[a-z0-9]{16}')}"`,
    );
  return { id: m[1], secret: m[2] };
}

/** The Secret that holds a bootstrap token. */
export function tokenSecret(spec: BootstrapTokenSpec, now = Date.now()): any {
  const { id, secret } = parseToken(spec.token);
  const data: Record<string, string> = { 'token-id': id, 'token-secret': secret };
  const ttl = parseDuration(spec.ttl);
  if (ttl > 0) data.expiration = new Date(now + ttl).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (spec.description) data.description = spec.description;
  for (const u of spec.usages) data[`usage-bootstrap-${u}`] = 'true';
  if (spec.groups.length) data['auth-extra-groups'] = spec.groups.join(',');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    data: b64map(data),
  };
}

/** Create or update a token's Secret (kubeadm's UpdateOrCreateTokens). */
export async function createToken(api: Api, spec: BootstrapTokenSpec): Promise<any> {
  return api.createOrUpdate('/api/v1/namespaces/kube-system/secrets', tokenSecret(spec));
}

/** One row of `kubeadm token list`. */
export interface TokenRow {
  token: string;
  expires?: Date;
  usages: string[];
  description: string;
  groups: string[];
}

/** Read every bootstrap token Secret. */
export async function listTokens(api: Api): Promise<TokenRow[]> {
  const list = await api.get('/api/v1/namespaces/kube-system/secrets?fieldSelector=type%3Dbootstrap.kubernetes.io%2Ftoken');
  const rows: TokenRow[] = [];
  for (const s of list?.items ?? []) {
    if (s.type !== 'bootstrap.kubernetes.io/token') continue;
    const d = unb64map(s.data);
    if (!d['token-id'] || !d['token-secret']) continue;
    rows.push({
      token: `${d['token-id']}.${d['token-secret']}`,
      expires: d.expiration ? new Date(d.expiration) : undefined,
      usages: Object.keys(d)
        .filter((k) => k.startsWith('usage-bootstrap-') && d[k] === 'true')
        .map((k) => k.slice('usage-bootstrap-'.length))
        .sort(),
      description: d.description ?? '',
      groups: d['auth-extra-groups'] ? d['auth-extra-groups'].split(',') : [],
    });
  }
  return rows;
}

/** Render `kubeadm token list` as the real table. */
export function formatTokenList(rows: TokenRow[], now = Date.now()): string {
  const head = ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'];
  const body = rows.map((r) => {
    const ttl = r.expires ? (r.expires.getTime() > now ? humanDuration(r.expires.getTime() - now) : '<invalid>') : '<forever>';
    return [
      r.token,
      ttl,
      r.expires ? r.expires.toISOString().replace(/\.\d{3}Z$/, 'Z') : '<never>',
      r.usages.join(','),
      r.description || '<none>',
      r.groups.join(','),
    ];
  });
  return table([head, ...body]);
}

/** A tab-aligned table like Go's tabwriter (padding 3 after the widest cell). */
export function table(rows: string[][], pad = 3): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i] + pad)))
          .join('')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Go's duration.ShortHumanDuration ("23h", "59m", "2d", "364d", "10y"). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** Delete a token by full token or id, as `kubeadm token delete`. */
export async function deleteToken(api: Api, tokenOrId: string): Promise<string> {
  const id = TOKEN_RE.test(tokenOrId) ? parseToken(tokenOrId).id : tokenOrId;
  if (!/^[a-z0-9]{6}$/.test(id)) throw new Error(`given token didn't match pattern "[a-z0-9]{6}" or "[a-z0-9]{6}\\.[a-z0-9]{16}"`);
  const r = await api.req('DELETE', `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}`);
  if (r.status === 404) throw new Error(`failed to delete bootstrap token with ID "${id}": secrets "bootstrap-token-${id}" not found`);
  if (r.status >= 300) throw new Error(`failed to delete bootstrap token with ID "${id}": ${r.body?.message ?? r.status}`);
  return `bootstrap token "${id}" deleted`;
}
