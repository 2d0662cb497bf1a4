/**
 * Transient errors: the answers of a control plane that is changing under a repair (an etcd
 * leader moving after a member add, an apiserver restarting as its static pod is re-synced, certs
 * being rotated) and that the same request, repeated a moment later, does not get. Recognised in
 * the wording of the tools kubemend drives (kubeadm and kubectl: Go's net/http, client-go's
 * Status messages, etcd's `etcdserver:` errors) and of the laptop's own API client (Node's
 * errno codes, the HTTP status of @kubernetes/client-node's ApiException).
 *
 * Only the cause's name leaves this file (a fixed label), never the text it was found in: a retry
 * recorded in the journal cannot carry a secret that was in a command's output.
 */

/** Answers that are final whatever else they say: repeating the request cannot change them. */
const FINAL: RegExp[] = [
  /already exists/i, // a create that found the object: with the same content or not, repeating it does not help
  /\bunknown (shorthand )?flag\b|\bunknown command\b|\bIncorrect Usage\b|\brequired flag/i, // a refused command line
  /\bUnauthorized\b|\bforbidden\b|\bHTTP 40[13]\b/i, // credentials refused
  /couldn't validate the identity of the API Server|could not find a JWS signature|token id "[^"]*" is invalid|invalid bootstrap token/i, // a wrong token or CA pin
  /\bstatus "Ready" already exists\b/, // kubeadm kubelet-start: the Node is there (not a blip)
  /\bHTTP 4(0[0-9]|1[0-9]|2[0-8])\b/, // client errors other than 429
];

/** [label, pattern]: the first that matches names the cause. */
const CAUSES: Array<[string, RegExp]> = [
  ['etcd leader changed', /etcdserver: leader changed/],
  ['etcd request timed out', /etcdserver: request timed out/],
  ['etcd has no leader', /etcdserver: no leader/],
  ['etcd too many requests', /etcdserver: too many requests/],
  ['etcd unhealthy cluster', /etcdserver: unhealthy cluster/],
  ['HTTP 429 too many requests', /\bHTTP 429\b|\(TooManyRequests\)|has received too many requests and has asked us to try again later/i],
  ['HTTP 503 service unavailable', /\bHTTP 503\b|\(ServiceUnavailable\)|the server is currently unable to handle the request/i],
  ['HTTP 500 internal error', /\bHTTP 500\b|\(InternalError\)|Internal error occurred/],
  ['HTTP 504 gateway timeout', /\bHTTP 504\b|\(Timeout\)|the server was unable to return a response in the time allotted/i],
  ['connection refused', /connection refused|ECONNREFUSED|was refused - did you specify the right host or port|Connection refused/],
  ['connection reset', /connection reset by peer|ECONNRESET|socket hang up|EPIPE|broken pipe|unexpected EOF|http2: client connection lost/],
  [
    'TLS handshake failure',
    /TLS handshake (timeout|error)|tls: failed to verify certificate|remote error: tls:|x509: certificate signed by unknown authority|unable to verify the first certificate|self[- ]signed certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|ERR_SSL|EPROTO/,
  ],
  ['request timed out', /Client\.Timeout exceeded|context deadline exceeded|i\/o timeout|ETIMEDOUT|timed out after \d+ ?ms/],
];

/**
 * The name of the transient cause `text` shows (an error message, a command's stderr), or
 * undefined when it shows none, or shows an answer that is final (a wrong token, a refused flag,
 * `already exists`): those are never retried.
 */
export function transientCause(text: string): string | undefined {
  if (!text) return undefined;
  if (FINAL.some((re) => re.test(text))) return undefined;
  return CAUSES.find(([, re]) => re.test(text))?.[0];
}

/** The texts of an error and of its causes (`cause` chain), with an HTTP status and errno code when they carry one. */
export function errorTexts(err: unknown): string {
  const out: string[] = [];
  let e: unknown = err;
  for (let i = 0; e && i < 5; i++) {
    const x = e as { message?: unknown; code?: unknown; body?: unknown };
    if (typeof x.code === 'number') out.push(`HTTP ${x.code}`);
    else if (typeof x.code === 'string') out.push(x.code);
    if (typeof x.message === 'string') out.push(x.message);
    else out.push(String(e));
    if (typeof x.body === 'string') out.push(x.body.slice(0, 500));
    else if (x.body && typeof x.body === 'object' && typeof (x.body as { message?: unknown }).message === 'string')
      out.push((x.body as { message: string }).message);
    e = (e as { cause?: unknown }).cause;
  }
  return out.join('\n');
}
