/**
 * crictl subcommands over the lab's CRI store: ps, pods, stop, rm, stopp, rmp, inspect,
 * inspectp, logs, version, with real crictl's output formats and refusals.
 */
import { readFileSync } from 'node:fs';
import { type ContainerRecord, type PodRecord, listPods, resolveId } from '../cri/store.js';
import { containersNow, imageRef, removeContainer, removePod, stopContainer, stopPod } from '../cri/runtime.js';
import { type Parsed, bool, labelSelector, num, str } from './args.js';
import { ago, containerState, nanos, podState, table, truncId } from './format.js';

/** What a command writes and its exit code. */
export interface Out {
  stdout: string;
  stderr: string;
  code: number;
}

/** A logrus line as crictl prints on stderr. */
export function logrus(level: 'error' | 'fatal' | 'warning', msg: string): string {
  return `time="${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

function podMap(): Map<string, PodRecord> {
  return new Map(listPods().map((p) => [p.id, p]));
}

function labels(c: ContainerRecord, p?: PodRecord): Record<string, string> {
  return {
    'io.kubernetes.container.name': c.name,
    'io.kubernetes.pod.name': p?.name ?? '',
    'io.kubernetes.pod.namespace': p?.namespace ?? '',
    'io.kubernetes.pod.uid': p?.uid ?? '',
  };
}

function regex(pattern: string | undefined): RegExp | undefined {
  if (!pattern) return undefined;
  try {
    return new RegExp(pattern);
  } catch {
    return /$^/; // crictl's matchesRegex: an invalid pattern matches nothing
  }
}

/** containerd's truncindex: a full id or a unique prefix of one; else the id as given (matches nothing). */
function normalizeId(id: string, ids: string[]): string {
  const hits = ids.filter((x) => x.startsWith(id));
  return hits.length === 1 ? hits[0] : id;
}

/** Go's log.Fatalf line (crictl uses it for a bad --state). */
function goLogFatal(msg: string): Out {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    stdout: '',
    stderr: `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${msg}\n`,
    code: 1,
  };
}

const CONTAINER_STATES: Record<string, string> = {
  created: 'CONTAINER_CREATED',
  running: 'CONTAINER_RUNNING',
  exited: 'CONTAINER_EXITED',
  unknown: 'CONTAINER_UNKNOWN',
};

/**
 * crictl's ListContainers + getContainersList (cmd/crictl/container.go, v1.32.0): the CRI filter
 * (id, pod id, state: running unless --all/--state, none with --latest/--last; labels, all must
 * match), then --name and --namespace regular expressions, newest first, --latest/--last.
 */
export function listContainersFiltered(o: Parsed): ContainerRecord[] | Out {
  const pods = podMap();
  const state = str(o, 'state');
  let want: string | undefined = bool(o, 'all') ? undefined : 'CONTAINER_RUNNING';
  if (state !== undefined && state !== '') {
    want = CONTAINER_STATES[state.toLowerCase()];
    if (!want) return goLogFatal('--state should be one of created, running, exited or unknown');
  }
  if (bool(o, 'latest') || num(o, 'last') > 0) want = undefined;
  const selector = labelSelector(o);
  let list = containersNow();
  const all = list.map((c) => c.id);
  const id = str(o, 'id');
  if (id) list = list.filter((c) => c.id === normalizeId(id, all));
  const pod = str(o, 'pod');
  if (pod) list = list.filter((c) => c.podId === normalizeId(pod, [...pods.keys()]));
  if (want) list = list.filter((c) => c.state === want);
  list = list.filter((c) => Object.entries(selector).every(([k, v]) => labels(c, pods.get(c.podId))[k] === v));
  const image = str(o, 'image');
  if (image) list = list.filter((c) => c.image === image || imageRef(c.image).startsWith(image) || imageRef(c.image).slice(7).startsWith(image));
  const name = regex(str(o, 'name'));
  const ns = regex(str(o, 'namespace'));
  list = list.filter((c) => (!name || name.test(c.name)) && (!ns || ns.test(pods.get(c.podId)?.namespace ?? '')));
  list = list.reverse(); // newest first (containerByCreated)
  let n = list.length;
  if (bool(o, 'latest')) n = 1;
  if (num(o, 'last') > 0) n = num(o, 'last');
  return list.slice(0, n);
}

/** `crictl ps`: containers (running only unless -a), filtered; table, ids (-q) or JSON. Arguments: the help, exit 0. */
export function ps(o: Parsed): Out {
  if (o.args.length !== 0) return { stdout: subcommandHelp('ps'), stderr: '', code: 0 };
  const pods = podMap();
  const found = listContainersFiltered(o);
  if (!Array.isArray(found)) return found;
  const list = found;
  const noTrunc = bool(o, 'no-trunc');
  if (bool(o, 'quiet')) return { stdout: list.map((c) => c.id + '\n').join(''), stderr: '', code: 0 };
  const output = str(o, 'output');
  if (output === 'json' || output === 'yaml') {
    const containers = list.map((c) => ({
      id: c.id,
      podSandboxId: c.podId,
      metadata: { name: c.name, attempt: c.attempt },
      image: { image: c.image, annotations: {}, userSpecifiedImage: '' },
      imageRef: imageRef(c.image),
      state: c.state,
      createdAt: nanos(c.createdAt),
      labels: labels(c, pods.get(c.podId)),
      annotations: { 'io.kubernetes.container.restartCount': String(c.attempt) },
    }));
    return { stdout: JSON.stringify({ containers }, null, 2) + '\n', stderr: '', code: 0 };
  }
  const rows = [['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD']];
  for (const c of list) {
    rows.push([
      truncId(c.id, noTrunc),
      truncId(imageRef(c.image), noTrunc),
      ago(c.createdAt),
      containerState(c.state),
      c.name,
      String(c.attempt),
      truncId(c.podId, noTrunc),
      pods.get(c.podId)?.name ?? '',
    ]);
  }
  return { stdout: table(rows), stderr: '', code: 0 };
}

function podLabels(p: PodRecord): Record<string, string> {
  return { 'io.kubernetes.pod.name': p.name, 'io.kubernetes.pod.namespace': p.namespace, 'io.kubernetes.pod.uid': p.uid };
}

/** `crictl pods`: pod sandboxes, filtered (id, state, labels, --name/--namespace regexps), newest first; table, ids (-q) or JSON. */
export function pods(o: Parsed): Out {
  const state = str(o, 'state');
  let want: string | undefined;
  if (state !== undefined && state !== '') {
    want = { ready: 'SANDBOX_READY', notready: 'SANDBOX_NOTREADY' }[state.toLowerCase()];
    if (!want) return goLogFatal('--state should be ready or notready');
  }
  const selector = labelSelector(o);
  const name = regex(str(o, 'name'));
  const ns = regex(str(o, 'namespace'));
  const noTrunc = bool(o, 'no-trunc');
  let list = listPods();
  const id = str(o, 'id');
  if (id)
    list = list.filter(
      (p) =>
        p.id ===
        normalizeId(
          id,
          listPods().map((x) => x.id),
        ),
    );
  if (want) list = list.filter((p) => p.state === want);
  list = list.filter((p) => Object.entries(selector).every(([k, v]) => podLabels(p)[k] === v));
  list = list.filter((p) => (!name || name.test(p.name)) && (!ns || ns.test(p.namespace)));
  list = list.reverse();
  let n = list.length;
  if (bool(o, 'latest')) n = 1;
  if (num(o, 'last') > 0) n = num(o, 'last');
  list = list.slice(0, n);
  if (bool(o, 'quiet')) return { stdout: list.map((p) => p.id + '\n').join(''), stderr: '', code: 0 };
  const output = str(o, 'output');
  if (output === 'json' || output === 'yaml') {
    const items = list.map((p) => ({
      id: p.id,
      metadata: { name: p.name, uid: p.uid, namespace: p.namespace, attempt: p.attempt ?? 0 },
      state: p.state,
      createdAt: nanos(p.createdAt),
      labels: podLabels(p),
      annotations: p.static ? { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.hash': p.configHash ?? p.uid } : {},
      runtimeHandler: '',
    }));
    return { stdout: JSON.stringify({ items }, null, 2) + '\n', stderr: '', code: 0 };
  }
  const rows = [['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME']];
  for (const p of list) rows.push([truncId(p.id, noTrunc), ago(p.createdAt), podState(p.state), p.name, p.namespace, String(p.attempt ?? 0), '(default)']);
  return { stdout: table(rows), stderr: '', code: 0 };
}

/** A sub-command's help text (urfave's layout, shortened to what the lab models). */
export function subcommandHelp(name: string): string {
  return `NAME:\n   crictl ${name}\n\nUSAGE:\n   crictl ${name} [command options]\n\nOPTIONS:\n   --help, -h  show help\n`;
}

async function eachId(
  ids: string[],
  kind: 'container' | 'sandbox',
  act: (full: string) => Promise<string>,
  failMsg: string,
  errPrefix: (id: string) => string,
): Promise<Out> {
  if (ids.length === 0) return { stdout: '', stderr: logrus('fatal', 'ID cannot be empty'), code: 1 };
  const all = kind === 'container' ? containersNow().map((c) => c.id) : listPods().map((p) => p.id);
  let stdout = '';
  let stderr = '';
  let failed = false;
  for (const id of ids) {
    try {
      stdout += (await act(resolveId(id, all, kind))).replace('%ID%', id);
    } catch (e) {
      failed = true;
      stderr += logrus('error', `${errPrefix(id)}: ${(e as Error).message}`);
    }
  }
  if (failed) stderr += logrus('fatal', failMsg);
  return { stdout, stderr, code: failed ? 1 : 0 };
}

/** `crictl stop ID...`: kill containers (timeout 0 = SIGKILL, as containerd). */
export function stop(o: Parsed): Promise<Out> {
  const t = num(o, 'timeout') * 1000;
  return eachId(
    o.args,
    'container',
    async (id) => (await stopContainer(id, t), '%ID%\n'),
    'stopping the container(s)',
    (id) => `stopping the container "${id}"`,
  );
}

/** `crictl rm [-f] ID...`: remove containers; a running one only with -f. */
export function rm(o: Parsed): Promise<Out> {
  const force = bool(o, 'force');
  let ids = o.args;
  if (bool(o, 'all')) ids = containersNow().map((c) => c.id);
  if (bool(o, 'all') && ids.length === 0) return Promise.resolve({ stdout: '', stderr: '', code: 0 });
  return eachId(
    ids,
    'container',
    async (id) => (await removeContainer(id, force), '%ID%\n'),
    'unable to remove container(s)',
    (id) => `removing container "${id}"`,
  );
}

/** `crictl stopp ID...`: stop pod sandboxes. */
export function stopp(o: Parsed): Promise<Out> {
  return eachId(
    o.args,
    'sandbox',
    async (id) => (await stopPod(id, 0), 'Stopped sandbox %ID%\n'),
    'unable to stop sandbox(es)',
    (id) => `stopping the pod sandbox "${id}"`,
  );
}

/** `crictl rmp [-f] ID...`: remove pod sandboxes (a ready one only with -f). */
export function rmp(o: Parsed): Promise<Out> {
  const force = bool(o, 'force');
  let ids = o.args;
  if (bool(o, 'all')) ids = listPods().map((p) => p.id);
  if (bool(o, 'all') && ids.length === 0) return Promise.resolve({ stdout: '', stderr: '', code: 0 });
  return eachId(
    ids,
    'sandbox',
    async (id) => (await removePod(id, force), 'Removed sandbox %ID%\n'),
    'unable to remove sandbox(es)',
    (id) => `removing the pod sandbox "${id}"`,
  );
}

/** `crictl inspect ID...`: container status and info as JSON. */
export function inspect(o: Parsed): Out {
  if (o.args.length === 0) return { stdout: '', stderr: logrus('fatal', 'ID cannot be empty'), code: 1 };
  const list = containersNow();
  const pods = podMap();
  const docs: unknown[] = [];
  for (const arg of o.args) {
    let id: string;
    try {
      id = resolveId(
        arg,
        list.map((c) => c.id),
        'container',
      );
    } catch (e) {
      return { stdout: '', stderr: logrus('fatal', `getting the status of the container "${arg}": ${(e as Error).message}`), code: 1 };
    }
    const c = list.find((x) => x.id === id)!;
    const p = pods.get(c.podId);
    docs.push({
      status: {
        id: c.id,
        metadata: { attempt: c.attempt, name: c.name },
        state: c.state,
        createdAt: c.createdAt,
        startedAt: c.startedAt,
        finishedAt: c.finishedAt ?? '0001-01-01T00:00:00Z',
        exitCode: c.exitCode,
        image: { annotations: {}, image: c.image, userSpecifiedImage: '' },
        imageRef: imageRef(c.image),
        reason: c.state === 'CONTAINER_EXITED' ? (c.exitCode === 0 ? 'Completed' : 'Error') : '',
        message: '',
        labels: labels(c, p),
        annotations: { 'io.kubernetes.container.restartCount': String(c.attempt) },
        mounts: [],
        logPath: c.logPath ?? '',
      },
      info: {
        sandboxID: c.podId,
        pid: c.state === 'CONTAINER_RUNNING' ? c.pid : 0,
        runtimeType: 'io.containerd.runc.v2',
        config: { metadata: { name: c.name, attempt: c.attempt }, args: c.command ?? [], labels: labels(c, p) },
      },
    });
  }
  return { stdout: JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n', stderr: '', code: 0 };
}

/** `crictl inspectp ID`: pod sandbox status as JSON. */
export function inspectp(o: Parsed): Out {
  if (o.args.length === 0) return { stdout: '', stderr: logrus('fatal', 'ID cannot be empty'), code: 1 };
  const list = listPods();
  let id: string;
  try {
    id = resolveId(
      o.args[0],
      list.map((p) => p.id),
      'sandbox',
    );
  } catch (e) {
    return { stdout: '', stderr: logrus('fatal', `getting the pod sandbox status for "${o.args[0]}": ${(e as Error).message}`), code: 1 };
  }
  const p = list.find((x) => x.id === id)!;
  const doc = {
    status: {
      id: p.id,
      metadata: { attempt: p.attempt ?? 0, name: p.name, namespace: p.namespace, uid: p.uid },
      state: p.state,
      createdAt: p.createdAt,
      labels: { 'io.kubernetes.pod.name': p.name, 'io.kubernetes.pod.namespace': p.namespace, 'io.kubernetes.pod.uid': p.uid },
      annotations: p.static ? { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.hash': p.configHash ?? p.uid } : {},
    },
    info: { pid: 0, runtimeHandler: '' },
  };
  return { stdout: JSON.stringify(doc, null, 2) + '\n', stderr: '', code: 0 };
}

/** `crictl logs [--tail N] ID`: the container's log file. */
export function logs(o: Parsed): Out {
  const list = containersNow();
  let id: string;
  try {
    id = resolveId(
      o.args[0] ?? '',
      list.map((c) => c.id),
      'container',
    );
  } catch (e) {
    return { stdout: '', stderr: logrus('fatal', o.args[0] ? (e as Error).message : 'ID cannot be empty'), code: 1 };
  }
  const c = list.find((x) => x.id === id)!;
  let text = '';
  try {
    text = c.logPath ? readFileSync(c.logPath, 'utf8') : '';
  } catch {
    text = '';
  }
  const tail = str(o, 'tail');
  if (typeof tail === 'string' && Number(tail) >= 0) {
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    text = lines
      .slice(-Number(tail) || lines.length)
      .map((l) => l + '\n')
      .join('');
    if (Number(tail) === 0) text = '';
  }
  return { stdout: text, stderr: '', code: 0 };
}

/** `crictl version`. */
export function version(): Out {
  return { stdout: 'Version:  0.1.0\nRuntimeName:  containerd\nRuntimeVersion:  v1.7.24\nRuntimeApiVersion:  v1\n', stderr: '', code: 0 };
}
