// dmacheck as a user installs it: `npm pack` the package, install the tarball into a temporary copy of
// examples/amdgpu-userptr (npm fetches the example's vitest and typescript, from its cache if it can),
// type-check the example with the tsconfig `tsc --init` writes, run its own vitest file, and replay a
// counterexample that test wrote with the command line, which finds the example's strategy through its
// dmacheck.config.js. Also: what the tarball holds. The example's budgets are small, so this stays cheap.
import { describe, it, expect, beforeAll } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const example = join(root, 'examples', 'amdgpu-userptr');

/** The environment of a child npm/node: without this vitest's own variables, so the nested run is a plain one. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST' && k !== 'NODE_ENV') e[k] = v;
  return e;
}

function run(cmd: string, args: string[], cwd: string): { code: number; out: string } {
  // A hang guard only: nothing here is judged by how long it takes.
  const r = spawnSync(cmd, args, { cwd, env: env(), encoding: 'utf8', timeout: 280_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

let tarball = '';
let files: string[] = [];

beforeAll(() => {
  const dest = mkdtempSync(join(tmpdir(), 'dmacheck-pack-'));
  // --ignore-scripts: the test command has built dist/ already (prepare would build it again).
  const json = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], { cwd: root, env: env(), encoding: 'utf8' });
  const info = JSON.parse(json)[0] as { filename: string; files: { path: string }[] };
  tarball = join(dest, info.filename);
  files = info.files.map((f) => f.path);
}, 120_000);

describe('the packed dmacheck', () => {
  it('holds the compiled library and command line with types, and none of the tests, corpus or sources', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/dmacheck.mjs', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/vitest.js', 'dist/src/cli/main.js', 'manifest.json', 'package.json']));
    expect(files.filter((f) => /^(test|counterexamples|bench|src|model|properties|examples)\//.test(f) || f.startsWith('dist/bench/') || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('installs into the example, which type-checks under a default tsconfig, passes its own test and replays what it wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmacheck-example-'));
    cpSync(example, dir, { recursive: true, filter: (src) => !/\/(node_modules|out|build)(\/|$)/.test(src.slice(example.length)) });
    const install = run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], dir);
    expect(install.code, install.out).toBe(0);

    // The tsconfig `tsc --init` writes, as a new project would have it (strict, nodenext,
    // noUncheckedIndexedAccess, exactOptionalPropertyTypes, verbatimModuleSyntax).
    expect(run('npx', ['tsc', '--init'], dir).code).toBe(0);
    const tsc = run('npx', ['tsc', '--noEmit'], dir);
    expect(tsc.code, tsc.out).toBe(0);

    const test = run('npx', ['vitest', 'run'], dir);
    expect(test.code, test.out).toBe(0);
    expect(test.out).toMatch(/3 passed/);
    const written = readdirSync(join(dir, 'out'));
    expect(written).toContain('amdgpu-userptr--no-resv-wait--kernel-queue--no-fatal-device-fault.json');

    // The command line finds the example's strategy through dmacheck.config.js (the compiled driver).
    expect(run('npm', ['run', 'build'], dir).code).toBe(0);
    expect(existsSync(join(dir, 'build', 'driver.js'))).toBe(true);
    const replay = run('npx', ['dmacheck', 'replay', join('out', 'amdgpu-userptr--no-resv-wait--kernel-queue--no-fatal-device-fault.json')], dir);
    expect(replay.code, replay.out).toBe(0);
    expect(replay.out).toMatch(/no-fatal-device-fault fails at step \d+, as expected/);
    expect(replay.out).toMatch(/gfx_inv_wait\(inv0\)/);
  }, 300_000);
});
