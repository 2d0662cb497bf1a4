/**
 * Types for the part of `mvdan-sh` (mvdan/sh's parser compiled to JavaScript with GopherJS; the
 * package ships none) that spec/helpers/shell-commands.ts uses. Field names follow the Go types of
 * mvdan.cc/sh/v3/syntax; only the fields read here are declared.
 */
declare module 'mvdan-sh' {
  /** A position in the source (syntax.Pos). */
  interface Pos {
    Offset(): number;
  }
  /** Any node of the syntax tree (syntax.Node). */
  interface Node {
    Pos(): Pos;
    End(): Pos;
  }
  /** A literal word part (syntax.Lit). */
  interface Lit extends Node {
    Value: string;
  }
  /** A '...' word part (syntax.SglQuoted). */
  interface SglQuoted extends Node {
    Value: string;
  }
  /** A "..." word part (syntax.DblQuoted). */
  interface DblQuoted extends Node {
    Parts: Node[];
  }
  /** A parameter expansion, $x or ${...} (syntax.ParamExp); the modifiers are null when absent. */
  interface ParamExp extends Node {
    Param: Lit;
    Exp: unknown;
    Repl: unknown;
    Slice: unknown;
    Index: unknown;
    Length: boolean;
    Excl: boolean;
    Width: boolean;
  }
  /** A shell word (syntax.Word). */
  interface Word extends Node {
    Parts: Node[];
  }
  /** A simple command (syntax.CallExpr). */
  interface CallExpr extends Node {
    Args: Word[];
  }
  /** The nodes NodeType can name, by name (the subset used). */
  interface NodeTypes {
    Lit: Lit;
    SglQuoted: SglQuoted;
    DblQuoted: DblQuoted;
    ParamExp: ParamExp;
    CallExpr: CallExpr;
  }
  /** A parsed script (syntax.File). */
  interface File extends Node {}
  interface Parser {
    /** Throws a syntax error (an Error with a message) on a script it cannot parse. */
    Parse(src: string, name: string): File;
  }
  interface Syntax {
    /** The Go type name of a node: 'Lit', 'CallExpr', ... */
    NodeType(node: Node): string;
    NewParser(): Parser;
    /** Visits the tree depth-first; `f` returns false to skip a node's children. Called with null after a node's children. */
    Walk(node: Node, f: (node: Node | null) => boolean): void;
  }
  const sh: { syntax: Syntax };
  export default sh;
  export type { CallExpr, DblQuoted, File, Lit, Node, NodeTypes, ParamExp, SglQuoted, Word };
}
