/** The zod schema of kubemend's own inventory YAML (before paths, defaults and ~/.ssh/config are applied). */
import * as z from 'zod';
import {
  isAddress,
  isDnsLabel,
  isDnsSubdomain,
  isLabelKey,
  isLabelValue,
  isPosixUser,
  parseDuration,
  splitHostPort,
  splitUserHostPort,
  isPort,
} from './syntax.js';

const address = z.string().refine(isAddress, 'must be an IPv4 address, an IPv6 address (no brackets) or a DNS name');
const port = z.int('must be an integer port').min(1, 'must be a port 1..65535').max(65535, 'must be a port 1..65535');
const user = z.string().refine(isPosixUser, 'must be a POSIX user name (^[a-z_][a-z0-9_-]*[$]?$)');
const path = z
  .string()
  .min(1, 'must not be empty')
  .refine((s) => !s.includes('\0'), 'must not contain NUL');
const sudo = z.enum(['none', 'nopasswd', 'password'], 'must be one of none, nopasswd, password');
const duration = z
  .string('must be a duration like 500ms, 10s, 2m, 1h')
  .refine((s) => parseDuration(s) !== undefined, 'must be a duration like 500ms, 10s, 2m, 1h')
  .transform((s) => parseDuration(s)!);

/** A jump host written as `user@host:port`. */
const jumpString = z
  .string()
  .refine((s) => {
    const p = splitUserHostPort(s);
    return !!p && isAddress(p.host) && (p.user === undefined || isPosixUser(p.user)) && (p.port === undefined || isPort(p.port));
  }, 'must be [user@]host[:port] with a POSIX user, a valid address and a port 1..65535')
  .transform((s) => splitUserHostPort(s)!);

/** A jump host written as a mapping. */
const jumpObject = z.strictObject({ host: address, port: port.optional(), user: user.optional(), identityFile: path.optional() });

/** ProxyJump: `user@host:port` or `{host, port, user, identityFile}`. */
export const jumpSchema = z.union([jumpString, jumpObject]);

const labels = z.record(
  z.string().refine(isLabelKey, 'label key must be [prefix/]name in Kubernetes label syntax'),
  z
    .string('label value must be a string (quote numbers and booleans)')
    .refine(isLabelValue, 'label value must be at most 63 alphanumerics, with -, _ or . inside'),
);

/** The `ssh:` defaults block. */
export const sshSchema = z.strictObject({
  user: user.optional(),
  port: port.optional(),
  identityFile: path.optional(),
  knownHosts: path.optional(),
  sudo: sudo.optional(),
  jump: jumpSchema.optional(),
  connectTimeout: duration.optional(),
  commandTimeout: duration.optional(),
});

const hostFields = {
  name: z.string().refine(isDnsSubdomain, 'must be a DNS-1123 subdomain (lowercase a-z, 0-9, - and .)'),
  address,
  role: z.enum(['master', 'worker'], 'must be master or worker'),
  first: z.boolean().optional(),
  user: user.optional(),
  port: port.optional(),
  identityFile: path.optional(),
  sudo: sudo.optional(),
  jump: jumpSchema.optional(),
  labels: labels.optional(),
  servingSANs: z
    .array(
      z
        .string()
        .refine((s) => !s.includes('*'), 'a wildcard is never allowed in a serving certificate')
        .refine((s) => s.includes('*') || isAddress(s), 'must be an IPv4 address, an IPv6 address (no brackets) or a DNS name'),
    )
    .optional(),
};

/** One entry of `hosts:`. */
export const hostSchema = z.strictObject(hostFields);

/** A host read from an Ansible inventory: also `role: etcd` (only in the etcd group) and whether it runs an etcd member. */
const ansibleHostSchema = z.strictObject({ ...hostFields, role: z.enum(['master', 'worker', 'etcd']), etcd: z.boolean().optional() });

const topFields = {
  cluster: z.string().refine(isDnsLabel, 'must be a DNS-1123 label (lowercase a-z, 0-9 and -, at most 63)'),
  controlPlaneEndpoint: z.string().refine((s) => {
    const p = splitHostPort(s);
    return !!p && isAddress(p.host) && isPort(p.port);
  }, 'must be host:port (IPv6 as [::1]:6443) with a port 1..65535'),
  kubeadmConfig: path.optional(),
  ssh: sshSchema.optional(),
};

/** The whole document. */
export const inventorySchema = z.strictObject({ ...topFields, hosts: z.array(hostSchema).min(1, 'must list at least one host') });

/** A document made from an Ansible inventory. */
export const ansibleInventorySchema = z.strictObject({ ...topFields, hosts: z.array(ansibleHostSchema).min(1, 'must list at least one host') });

/** The parsed document (either kind). */
export type RawInventory = z.output<typeof ansibleInventorySchema>;
/** A parsed jump host. */
export type RawJump = z.output<typeof jumpSchema>;
