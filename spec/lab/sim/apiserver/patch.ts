/** PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch (treated as merge for these types) and JSON patch (RFC 6902). */
import { ApiError, badRequest } from './status.js';

/** Apply an RFC 7386 merge patch. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue; // strategic-merge directives ($patch, $retainKeys, ...)
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: any, parts: string[]): [any, string] {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object' || !(p in cur)) throw new ApiError(422, 'Invalid', `jsonpatch: path segment ${JSON.stringify(p)} not found`);
    cur = cur[p];
  }
  return [cur, parts[parts.length - 1]];
}

function getAt(doc: any, path: string): any {
  let cur = doc;
  for (const p of pointer(path)) {
    if (cur === null || typeof cur !== 'object' || !(p in cur)) throw new ApiError(422, 'Invalid', `jsonpatch: path ${path} not found`);
    cur = cur[p];
  }
  return cur;
}

function removeAt(doc: any, path: string): any {
  const [parent, key] = parentOf(doc, pointer(path));
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw new ApiError(422, 'Invalid', `jsonpatch remove: index ${key} out of range`);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw new ApiError(422, 'Invalid', `jsonpatch remove operation does not apply: doc is missing key: ${path}`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: any, path: string, value: any, replace: boolean): any {
  const parts = pointer(path);
  if (parts.length === 0) return value;
  const [parent, key] = parentOf(doc, parts);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent)) throw new ApiError(422, 'Invalid', `jsonpatch replace operation does not apply: doc is missing key: ${path}`);
    parent[key] = value;
  }
  return doc;
}

/** Apply an RFC 6902 JSON patch. */
export function jsonPatch(target: any, ops: any): any {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, structuredClone(op.value), false);
        break;
      case 'replace':
        doc = addAt(doc, op.path, structuredClone(op.value), true);
        break;
      case 'remove':
        removeAt(doc, op.path);
        break;
      case 'move': {
        const v = removeAt(doc, op.from);
        doc = addAt(doc, op.path, v, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, op.path, structuredClone(getAt(doc, op.from)), false);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, op.path)) !== JSON.stringify(op.value))
          throw new ApiError(422, 'Invalid', `jsonpatch test operation does not apply: ${op.path}`);
        break;
      default:
        throw badRequest(`unknown json patch operation ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}

/** Apply a PATCH body of the given content type to `target`. */
export function applyPatch(contentType: string, target: any, body: any): any {
  const ct = contentType.split(';')[0].trim();
  if (ct === 'application/json-patch+json') return jsonPatch(target, body);
  if (ct === 'application/merge-patch+json' || ct === 'application/strategic-merge-patch+json') return mergePatch(target, body);
  throw new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
  );
}
