// Scenarios written by hand (docs/scenarios.md), run by `dmacheck run` and by the library.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cli, model } from './helpers.ts';
import { runScenario } from '../src/scenario/run.ts';
import { ScenarioSession } from '../src/scenario/session.ts';
import { ScenarioError } from '../src/scenario/call.ts';

const dir = 'examples/scenarios';
const head = 'scenario "t"\nstrategy odp-mirror config kernel-queue\n';
const fails = (text: string) => {
  try {
    runScenario(text, 't.scn');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a ScenarioError');
};

describe('the example scenarios', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.scn'));
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(3));
  it('all run as expected with dmacheck run, which ends with a summary', async () => {
    const r = await cli('run', ...files.map((f) => join(dir, f)));
    expect(r.code, r.all).toBe(0);
    expect(r.out.trim().split('\n').at(-1)).toBe(`ran ${files.length} scenario(s): ${files.length} as expected, 0 not as expected, 0 that could not run`);
  });
});

describe('a scenario', () => {
  it('names slots with as, and @N for the slots step N filled', () => {
    const r = runScenario(`${head}register(p0)\nsubmit(p0, v1) as j\ndma_start(@2) as f\nread_begin(f)\nrange_fault(f)\nfault_commit(f)\nsettle\nexpect j completes\nexpect every property holds\n`);
    expect(r.expectations.map((x) => [x.text, x.ok])).toEqual([['expect j completes', true], ['expect every property holds', true]]);
    expect(r.ok).toBe(true);
  });
  it('checks every property at every step: a break no expectation names fails the scenario', () => {
    const r = runScenario(`scenario "t"\nstrategy odp-mirror config kernel-queue mutant no-read-retry\nregister(p0)\nsubmit(p0, v1) as j\ndma_start(j) as f\nread_begin(f)\nmigrate(p0, v1) as m\ninv_lock(m)\nrange_fault(f)\ninv_zap(m)\ninv_sync(m)\nfault_commit(f)\n`);
    expect(r.ok).toBe(false);
    expect(r.expectations.find((x) => !x.ok)!.detail).toMatch(/^coherent-dma fails at step 10 \[mirror-after-callbacks\]/);
  });
  it('judges a read, and an expectation that does not hold', () => {
    const r = runScenario(`${head}cpu_write(p0, v0)\nexpect cpu_read(p0, v0) == 7\n`);
    expect(r.ok).toBe(false);
    expect(r.expectations[0]).toMatchObject({ ok: false, detail: 'the CPU read 1 at step 2' });
  });
  it('judges a job that ends with an errno', () => {
    // The page is unmapped before the device faults on it: hmm_range_fault returns -EFAULT.
    const r = runScenario(`${head}register(p0)\nsubmit(p0, v1) as j\nmunmap(p0, v1) as u\ninv_lock(u)\ninv_zap(u)\ninv_sync(u)\ninvalidate_end(u)\nsettle\nexpect j fails with EFAULT\n`);
    expect(r.expectations[0], JSON.stringify(r.expectations)).toMatchObject({ ok: true, detail: 'job0 failed with -EFAULT' });
  });
  it('an action that is not enabled is an error naming the step, the false guard and what is enabled', () => {
    const msg = fails(`${head}dma_start(job0)\n`);
    expect(msg).toMatch(/^t\.scn:3: step 1, dma_start\(job0\), is not enabled: its guard is false: job0 is ready \(handed to the hardware; it is free\)/);
    expect(msg).toMatch(/Enabled here: cpu_read\(p0, v0\), /);
  });
  it('a strategy action that is not enabled says its guard', () => {
    const msg = fails(`${head}register(p0)\nsubmit(p0, v1) as j\ndma_start(j) as f\nfault_commit(f)\n`);
    expect(msg).toMatch(/fault_commit\(fault0\), is not enabled: its guard \(the fault context has its snapshot \(range_fault\) and the driver lock is free\) is false; fault_commit is enabled here only as nothing/);
  });
  it('a slot that does not exist says so', () => {
    expect(fails(`${head}register(p7)\n`)).toMatch(/t\.scn:3: p7 does not exist: the scope has 2 processes \(p0\.\.p1\)/);
    expect(fails(`${head}dma_start(job5)\n`)).toMatch(/job5 does not exist: the scope has 2 job slots/);
    expect(fails(`${head}dma_start(j)\n`)).toMatch(/'j' is not a slot name .* nor a name bound with 'as' \(none bound so far\)/);
    expect(fails(`${head}no_such(p0)\n`)).toMatch(/unknown action 'no_such' for strategy odp-mirror/);
  });
  it('settle stops at its bound with an error', () => {
    expect(fails(`${head}register(p0)\nsubmit(p0, v1)\nsettle max 1\n`)).toMatch(/no quiescence within 1 kernel and hardware steps/);
  });
  it('a bad header or expectation says what was expected', () => {
    expect(fails('scenario "t"\nregister(p0)\n')).toMatch(/no 'strategy NAME' line/);
    expect(fails(`${head}expect frobnicate\n`)).toMatch(/t\.scn:3: expected one of: expect every property holds/);
    expect(fails(`${head}expect no-such-property holds\n`)).toMatch(/unknown property 'no-such-property'/);
  });
});

describe('dmacheck run', () => {
  it('exits 2 naming the guard when an action is not enabled', async () => {
    const r = await cli('run', 'test/fixtures/scenario-not-enabled.scn');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not enabled: its guard is false/);
  });
});

describe('the library session', () => {
  it('acts by call text, binds names, settles and explains', () => {
    const s = new ScenarioSession(model('odp-mirror'));
    s.act('register(p0)');
    s.act('submit(p0, v1)', 'j');
    s.act('dma_start(j)', 'f');
    expect(s.slots('f')!.map((r) => r.id)).toEqual(['fault0']);
    expect(s.slots('@2')!.map((r) => r.id)).toEqual(['job0']);
    const ran = s.settle();
    expect(ran.length).toBeGreaterThan(3);
    expect(s.state.jobs[0]!.state).toBe('free');
    const { explanation } = s.explain();
    expect(explanation.violations).toEqual([]);
    expect(explanation.steps).toHaveLength(s.steps);
  });
});
