/** kubemend's own YAML inventory format, read into a ParsedDocument. */
import { formatPath, type ParsedDocument } from './document.js';
import { nodeAt, positionOf, type YamlSource } from './yaml-source.js';

/** Wrap a parsed YAML source in kubemend's format as a ParsedDocument. */
export function kubemendDocument(src: YamlSource): ParsedDocument {
  return {
    format: 'kubemend',
    data: src.data,
    locate(path, key) {
      return { ...positionOf(src.lines, nodeAt(src.doc, path, key)), field: formatPath(path) };
    },
    implicit: new Set(),
    warnings: [],
  };
}
