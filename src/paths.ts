// Where dmacheck's own files are (manifest.json, docs/claims.json), whether this module runs from the
// TypeScript sources (src/paths.ts, under vitest) or from the compiled package (dist/src/paths.js, under
// plain node or in a user's node_modules/dmacheck): the nearest folder above it holding dmacheck's
// package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'dmacheck') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`dmacheck: no package.json of dmacheck above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The dmacheck package's root folder. */
export const packageRoot: string = findRoot();

/** A file of the dmacheck package, by its path from the package root. */
export function packageFile(path: string): string {
  return join(packageRoot, path);
}
