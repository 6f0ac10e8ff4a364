/**
 * Writes a PGlite data-directory dump (the tar of `dumpDataDir()`) into PGlite's in-memory file
 * system at start, instead of PGlite's own `loadDataDir`, which measured ~0.5–0.8 s for the 40 MB,
 * ~2,900-file state of an 800-migration history on a loaded 2-core machine against ~0.1 s here
 * (issue 14): per file it walked the whole path once per directory level (`analyzePath`, then
 * `mkdirTree`), looked it up twice more to create and to time-stamp it, copied the data out of
 * the tar (`slice`) and copied it again into the file (MEMFS copies what it does not own).
 *
 * Here each directory is looked up or made once (a map of the directories seen), each file is
 * created in its parent node directly and handed a view of the tar's bytes (`canOwn`, as PGlite's
 * own OPFS loader writes its files): no copy. The tar's buffer is then held by the files (the same
 * bytes PGlite would have copied); a file PostgreSQL grows moves to a buffer of its own
 * (Emscripten's MEMFS `expandFileStorage`).
 *
 * What is read of the tar is what PGlite's loader reads (its bundled `tinytar`): the name (with
 * the prefix field, offset 345), the size, the type (0 regular file, 5 directory; other types
 * are skipped, as there). Header checksums are not recomputed (~30–100 ms of byte sums for a
 * 2,900-entry tar on the same machine): every tar loaded here is a dump PGlite made, and what
 * guards it on the way is the replay cache's sha256 of each file (./replay-cache.ts) and gzip's
 * CRC-32 (RFC 1952). The `ustar` magic and the sizes are checked, so a truncated or foreign file
 * is still refused. Files get mode 0666 and directories 0777, as PGlite's loader leaves them;
 * modification times are the load's (PostgreSQL does not read them).
 */

/** The few members of an Emscripten file-system node used here. */
export interface EmscriptenNode {
  node_ops: { mknod(parent: EmscriptenNode, name: string, mode: number, dev: number): EmscriptenNode };
}

/** The part of Emscripten's `FS` object (PGlite's `Module.FS`) the loader uses. */
export interface EmscriptenFs {
  mkdirTree(path: string): void;
  mkdir(path: string): EmscriptenNode;
  lookupPath(path: string): { node: EmscriptenNode | null };
  lookupNode(parent: EmscriptenNode, name: string): EmscriptenNode;
  open(node: EmscriptenNode, flags: number): unknown;
  write(
    stream: unknown,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
    canOwn: boolean,
  ): number;
  close(stream: unknown): void;
}

const BLOCK = 512;
/** POSIX.1-1988 ustar (tar(5)): the header's `magic` field, at offset 257. */
const USTAR = [0x75, 0x73, 0x74, 0x61, 0x72]; // "ustar"
const S_IFREG = 0o100000;
const O_WRONLY = 1;

function octal(b: Uint8Array, off: number, len: number): number {
  let n = 0;
  for (let i = off; i < off + len; i++) {
    const c = b[i];
    if (c === 0x20 && n === 0) continue; // leading spaces
    if (c < 0x30 || c > 0x37) break; // NUL or space ends it
    n = n * 8 + (c - 0x30);
  }
  return n;
}

function text(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString('latin1');
}

/**
 * Writes the entries of `tar` (a PGlite data-directory dump, uncompressed) under `root` in the
 * Emscripten file system `fs` (made with `mkdirTree` when missing; entry names are relative to
 * it, PGlite writes them with a leading `/`). The files' contents are views of `tar`, which must
 * not be changed afterwards. Returns the number of regular files written. Throws an Error
 * ("The saved state is not a PostgreSQL data directory PGlite made (…)") when a header is not
 * ustar, a file runs past the end, a name holds `..` or comes twice, or no `PG_VERSION` was
 * written (a tar of something else); and what Emscripten's FS throws (an `ErrnoError`). On a throw, the files
 * written so far stay under `root` (PGlite's start fails; the instance is dropped).
 */
export function writeDataDirTar(fs: EmscriptenFs, root: string, tar: Uint8Array): number {
  const bad = (why: string) =>
    new Error(`The saved state is not a PostgreSQL data directory PGlite made (${why}).`);
  fs.mkdirTree(root);
  const top = fs.lookupPath(root).node;
  if (!top) throw bad(`no directory ${root}`);
  const dirs = new Map<string, EmscriptenNode>([['', top]]);
  const dirNode = (rel: string): EmscriptenNode => {
    const known = dirs.get(rel);
    if (known) return known;
    const slash = rel.lastIndexOf('/');
    const parent = dirNode(slash < 0 ? '' : rel.slice(0, slash));
    let node: EmscriptenNode;
    try {
      node = fs.lookupNode(parent, rel.slice(slash + 1));
    } catch {
      node = fs.mkdir(`${root}/${rel}`);
    }
    dirs.set(rel, node);
    return node;
  };
  const written = new Set<string>();
  let off = 0;
  let version = false;
  // The archive ends with zero blocks (a name starting with NUL), or at its last whole block.
  while (tar.length - off >= BLOCK && tar[off] !== 0) {
    for (let i = 0; i < USTAR.length; i++)
      if (tar[off + 257 + i] !== USTAR[i]) throw bad(`no ustar header at byte ${off}`);
    const name = text(tar, off, 100);
    const prefix = text(tar, off + 345, 131);
    const parts = (prefix ? `${prefix}/${name}` : name).split('/').filter((p) => p && p !== '.');
    if (parts.includes('..')) throw bad(`the name ${JSON.stringify(name)}`);
    const rel = parts.join('/');
    // tinytar's reading of the type flag: a digit modulo 8, anything else a regular file.
    const type = (Number.parseInt(String.fromCharCode(tar[off + 156]), 10) || 0) % 8;
    off += BLOCK;
    if (type === 0) {
      const size = octal(tar, off - BLOCK + 124, 12);
      if (off + size > tar.length) throw bad(`${rel} runs past the end`);
      if (!rel || written.has(rel)) throw bad(rel ? `${rel} twice` : 'a file without a name');
      written.add(rel);
      const slash = rel.lastIndexOf('/');
      const parent = dirNode(slash < 0 ? '' : rel.slice(0, slash));
      const node = parent.node_ops.mknod(parent, rel.slice(slash + 1), S_IFREG | 0o666, 0);
      const stream = fs.open(node, O_WRONLY);
      try {
        if (size) fs.write(stream, tar.subarray(off, off + size), 0, size, 0, true);
      } finally {
        fs.close(stream);
      }
      if (rel === 'PG_VERSION') version = true;
      off += Math.ceil(size / BLOCK) * BLOCK;
    } else if (type === 5 && rel) {
      dirNode(rel);
    }
  }
  if (!version) throw bad('no PG_VERSION');
  return written.size;
}
