/** zod issues turned into inventory issues with file positions and plain messages (never a raw zod dump). */
import type { core } from 'zod';
import type { DocPath, ParsedDocument } from './document.js';
import type { InventoryIssue } from './errors.js';

type ZodIssue = core.$ZodIssue;

/** The JS type name of a value, as shown in messages. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  return typeof v;
}

function valueAt(data: unknown, path: DocPath): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg as string];
  }
  return v;
}

const TYPE_WORDS: Record<string, string> = { object: 'mapping', record: 'mapping', array: 'list', int: 'integer' };

/** Map zod issues to inventory issues, located in `doc`'s source. */
export function fromZodIssues(file: string, doc: ParsedDocument, zodIssues: readonly ZodIssue[], prefix: DocPath = []): InventoryIssue[] {
  const out: InventoryIssue[] = [];
  for (const zi of zodIssues) {
    const path: DocPath = [...prefix, ...zi.path];
    const push = (p: DocPath, message: string, key = false): void => {
      out.push({ file, ...doc.locate(p, key), message });
    };
    switch (zi.code) {
      case 'unrecognized_keys':
        for (const k of zi.keys) push([...path, k], 'unknown key', true);
        break;
      case 'invalid_key':
        push(path, zi.issues[0]?.message ?? 'invalid key', true);
        break;
      case 'invalid_union': {
        const branches = zi.errors;
        const best = branches.find((b) => !b.some((x) => x.code === 'invalid_type' && x.path.length === 0)) ?? branches[0] ?? [];
        if (best.length === 0) push(path, zi.message);
        else out.push(...fromZodIssues(file, doc, best, path));
        break;
      }
      case 'invalid_type': {
        const v = valueAt(doc.data, path);
        const expected = TYPE_WORDS[zi.expected] ?? zi.expected;
        if (v === undefined) push(path, 'is required');
        else if (!zi.message.startsWith('Invalid input')) push(path, `${zi.message}, got ${typeName(v)}`);
        else push(path, `expected ${expected}, got ${typeName(v)}`);
        break;
      }
      case 'invalid_value':
        push(path, zi.message.startsWith('Invalid option') ? `must be one of ${zi.values.join(', ')}` : zi.message);
        break;
      default:
        push(path, zi.message);
    }
  }
  return out;
}
