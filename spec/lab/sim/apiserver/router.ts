/** Map a URL path and method to a resource request (group, version, resource, namespace, name, subresource, verb). */
import { findResource, type ResourceDef } from './resources.js';

/** The resource part of a request path. */
export interface Route {
  r: ResourceDef;
  verb: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Parse `/api/v1/...` and `/apis/<g>/<v>/...`; undefined when the path names no served resource. */
export function route(method: string, path: string, query: URLSearchParams): Route | undefined {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  // `/namespaces/<ns>/<plural>...` names a namespaced resource; `/namespaces/<name>/status` is the Namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && findResource(group, version, rest[2])?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (extra.length) return undefined;
  const r = findResource(group, version, plural);
  if (!r) return undefined;
  if (namespace && !r.namespaced) return undefined;
  if (subresource && !r.subresources.includes(subresource)) return undefined;
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = name ? 'get' : watch ? 'watch' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = method.toLowerCase();
  }
  return { r, verb, namespace, name, subresource };
}
