/**
 * A minimal OpenAPI v3 (`/openapi/v3` and `/openapi/v3/<gv>`): for each served kind, the PATCH and
 * POST operations with the `x-kubernetes-group-version-kind` extension and the `fieldValidation` and
 * `dryRun` query parameters, which is what kubectl reads to choose server-side validation.
 */
import { createHash } from 'node:crypto';
import { GROUPS, RESOURCES, type ResourceDef } from './resources.js';

const PARAMS = ['fieldValidation', 'dryRun', 'fieldManager', 'pretty'].map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function gvDoc(group: string, version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter((x: ResourceDef) => x.group === group && x.version === version && !x.virtual)) {
    const gvk = { group, version, kind: r.kind };
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    const op = (verb: string) => ({
      operationId: `${verb}${r.kind}`,
      parameters: PARAMS,
      responses: { '200': { description: 'OK' } },
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
    });
    paths[base] = { post: op('post'), get: op('list') };
    paths[`${base}/{name}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.4' }, paths, components: { schemas: {} } };
}

const docs = new Map<string, string>();
for (const gv of [{ name: '', version: 'v1' }, ...GROUPS]) docs.set(gvPath(gv.name, gv.version), JSON.stringify(gvDoc(gv.name, gv.version)));

/** `/openapi/v3`: the index of group-version documents. */
export function openapiV3Root(): unknown {
  const paths: Record<string, unknown> = {};
  for (const [p, text] of docs) {
    const hash = createHash('sha512').update(text).digest('hex').slice(0, 64).toUpperCase();
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
  }
  return { paths };
}

/** `/openapi/v3/<gv path>` as JSON text, or undefined. */
export function openapiV3Doc(gvPathText: string): string | undefined {
  return docs.get(gvPathText);
}
