// dmacheck as a user installs it: `npm pack` the package, install the tarball into a temporary copy of
// examples/amdgpu-userptr (npm fetches the example's vitest and typescript, from its cache if it can),
// type-check the example with the tsconfig `tsc --init` writes, run its own vitest file, and replay a
// counterexample that test wrote with the command line, which finds the example's strategy through its
// dmacheck.config.js. Also: what the tarball holds, and a user's first test file in a new project.
// The budgets of those tests are small, so this stays cheap (npm's installs are most of its time).
import { describe, it, expect, beforeAll } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const example = join(root, 'examples', 'amdgpu-userptr');

/** The environment of a child npm/node: without this vitest's own variables, so the nested run is a plain one. */
function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST' && k !== 'NODE_ENV' && k !== 'FORCE_COLOR') e[k] = v;
  e.NO_COLOR = '1';
  return e;
}

function run(cmd: string, args: string[], cwd: string): { code: number; out: string } {
  // A hang guard only: nothing here is judged by how long it takes.
  const r = spawnSync(cmd, args, { cwd, env: env(), encoding: 'utf8', timeout: 280_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

let tarball = '';
let files: string[] = [];
/** The temporary copy of the example, with the tarball installed: one npm install for the whole file. */
let exampleDir = '';
let installed = { code: -1, out: '' };

beforeAll(() => {
  const dest = mkdtempSync(join(tmpdir(), 'dmacheck-pack-'));
  // --ignore-scripts: the test command has built dist/ already (prepare would build it again).
  const json = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], { cwd: root, env: env(), encoding: 'utf8' });
  const info = JSON.parse(json)[0] as { filename: string; files: { path: string }[] };
  tarball = join(dest, info.filename);
  files = info.files.map((f) => f.path);
  exampleDir = mkdtempSync(join(tmpdir(), 'dmacheck-example-'));
  cpSync(example, exampleDir, { recursive: true, filter: (src) => !/\/(node_modules|out|build)(\/|$)/.test(src.slice(example.length)) });
  installed = run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], exampleDir);
}, 300_000);

/**
 * vitest's own 5 s per test is a verdict by the machine's speed: a check's work is a budget of runs, so the
 * nested runs get a timeout only as a hang guard (one such run failed at 5 s at a load average of 11).
 */
const HANG_GUARD = ['--testTimeout', '600000'];

/** A user's first test file in a new project: a strategy of 15 lines with a planted bug, checked in one call. */
const FIRST_TEST = `import { it } from 'vitest';
import { defineStrategy, mm, NONE } from 'dmacheck';
import { checkStrategy } from 'dmacheck/vitest';

// Pin and map every page at registration; no notifier. The planted bug maps without the pin.
const mapOnce = defineStrategy({
  name: 'map-once', summary: 'pin and map at registration', from: 'a first test', device: { kind: 'rdma', recoverable: false },
  configs: ['kernel-queue'], needsRegistration: true, actionKinds: [],
  mutants: [{ name: 'no-pin', pattern: 'maps the pages without pinning them' }],
  init: () => ({}), enabled() {}, apply() {},
  canRegister: (s, p) => s.mms[p]!.ptes.every((pte) => pte.mapped && pte.frame !== NONE && pte.writable),
  onRegister(s, p, ctx) {
    s.mms[p]!.ptes.forEach((pte, v) => {
      if (ctx.mutant !== 'no-pin') mm.pinFrame(s, pte.frame, ctx);
      mm.setMirror(s, p, v, pte.frame, s.frames[pte.frame]!.gen, true, pte.epoch);
    });
  },
});

it('keeps DMA off freed pages', () => { checkStrategy(mapOnce, { mutant: 'no-pin', claims: ['no-dma-after-free'] }); });
`;

describe('the packed dmacheck', () => {
  it('holds the compiled library and command line with types, and none of the tests, corpus or sources', () => {
    expect(files).toEqual(expect.arrayContaining(['bin/dmacheck.mjs', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/vitest.js', 'dist/src/cli/main.js', 'manifest.json', 'package.json']));
    expect(files.filter((f) => /^(test|counterexamples|bench|src|model|properties|examples)\//.test(f) || f.startsWith('dist/bench/') || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('in a new project (npm init -y), a 20-line test file checks a strategy and fails with the explained counterexample', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmacheck-fresh-'));
    expect(run('npm', ['init', '-y'], dir).code).toBe(0);
    // The packages `npm install <tarball> vitest typescript` would put here: the example's, installed once.
    expect(installed.code, installed.out).toBe(0);
    symlinkSync(join(exampleDir, 'node_modules'), join(dir, 'node_modules'));
    // .mts: npm init -y writes a CommonJS package, and the test file is an ES module.
    writeFileSync(join(dir, 'first.test.mts'), FIRST_TEST);
    expect(run('npx', ['tsc', '--init'], dir).code).toBe(0);
    const tsc = run('npx', ['tsc', '--noEmit'], dir);
    expect(tsc.code, tsc.out).toBe(0);
    const test = run('npx', ['vitest', 'run', ...HANG_GUARD], dir);
    expect(test.code, test.out).toBe(1);
    expect(test.out).toMatch(/map-once \(mutant no-pin\) in kernel-queue: no-dma-after-free FAILS in \d+ steps/);
    expect(test.out).toMatch(/\d {2}user {5}register\(p0\)/);
    expect(test.out).toMatch(/✗ no-dma-after-free \[/);
    expect(readdirSync(join(dir, 'out'))).toEqual(['map-once--no-pin--kernel-queue--no-dma-after-free.json']);
  }, 300_000);

  it('installs into the example, which type-checks under a default tsconfig, passes its own test and replays what it wrote', () => {
    const dir = exampleDir;
    expect(installed.code, installed.out).toBe(0);

    // The tsconfig `tsc --init` writes, as a new project would have it (strict, nodenext,
    // noUncheckedIndexedAccess, exactOptionalPropertyTypes, verbatimModuleSyntax).
    expect(run('npx', ['tsc', '--init'], dir).code).toBe(0);
    const tsc = run('npx', ['tsc', '--noEmit'], dir);
    expect(tsc.code, tsc.out).toBe(0);

    const test = run('npx', ['vitest', 'run', ...HANG_GUARD], dir);
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
