// The HTML report in a real browser: Debian's chromium driven by playwright-core (no browser download),
// the page opened from file:// with every network request refused, and the trace, the diagram and the
// state view checked on the DOM. A screenshot is saved under out/ (not committed).
//
// In CI (CI set, or DMACHECK_BROWSER=1) a missing browser fails the test; on a machine without
// /usr/bin/chromium and without CI it is skipped, and says why.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const required = Boolean(process.env['CI']) || process.env['DMACHECK_BROWSER'] === '1';
const present = existsSync(CHROMIUM);
if (!present && !required) console.warn(`report-browser: skipped: ${CHROMIUM} is absent and CI is unset (apt-get install chromium, or set CI=1 to make this a failure)`);

/** The little of playwright-core's API used here (typed locally: the test type-checks before the package is installed). */
interface Route { request(): { url(): string }; continue(): Promise<void>; abort(): Promise<void> }
interface Locator {
  count(): Promise<number>; nth(i: number): Locator; locator(sel: string): Locator; textContent(): Promise<string | null>;
  getAttribute(name: string): Promise<string | null>; click(): Promise<void>; check(): Promise<void>;
  boundingBox(): Promise<{ width: number; height: number } | null>; allTextContents(): Promise<string[]>;
}
interface Page { goto(url: string): Promise<unknown>; locator(sel: string): Locator; on(ev: 'pageerror', f: (e: Error) => void): void; screenshot(o: { path: string; fullPage: boolean }): Promise<unknown> }
interface Context { route(glob: string, f: (r: Route) => Promise<void>): Promise<void>; pages(): Page[]; newPage(): Promise<Page>; close(): Promise<void> }
interface Playwright { chromium: { launchPersistentContext(dir: string, o: { executablePath: string; headless: boolean; args: string[] }): Promise<Context> } }

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// A fixture copy (the corpus is regenerated when the model changes; the page's contents are pinned here).
const FILE = 'test/fixtures/explain/mirror-blocking-notifier--user-queue--bounded-notifier.json';

describe.skipIf(!present && !required)('the HTML report in chromium', () => {
  it('renders the verdict, the trace, the diagram and the state view, with no network', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is required in CI (.ci/run installs it with apt-get)`).toBe(true);
    mkdirSync('out', { recursive: true });
    const report = resolve('out/report-browser.html');
    const r = await cli('replay', FILE, '--html', report);
    expect(r.code, r.all).toBe(0);
    // playwright-core is CommonJS: required, so that NODE_PATH can point at a local install for a trial.
    let pw: Playwright;
    try {
      pw = createRequire(import.meta.url)('playwright-core') as Playwright;
    } catch (e) {
      throw new Error(`playwright-core is not installed (a devDependency: npm ci installs it): ${(e as Error).message.split('\n')[0]}`);
    }
    const { chromium } = pw;
    const profile = mkdtempSync(join(tmpdir(), 'dmacheck-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      const foreign: string[] = [];
      await ctx.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
        foreign.push(url);
        return route.abort();
      });
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(report).href);
      // Verdict and question first.
      expect(await page.locator('#verdict').textContent()).toContain('bounded-notifier FAILS for mirror-blocking-notifier');
      expect(await page.locator('#question').textContent()).toMatch(/^Does mirror-blocking-notifier guarantee/);
      // The trace: 8 steps, each with effects, the last one broken.
      const steps = page.locator('#trace > li');
      expect(await steps.count()).toBe(8);
      for (let i = 0; i < 8; i++) expect(await steps.nth(i).locator('ul.effects > li').count()).toBeGreaterThan(0);
      expect(await steps.nth(7).getAttribute('class')).toContain('broke');
      // The diagram: five lanes, one arrow per step, drawn (a real box, not an empty element).
      expect(await page.locator('#diagram .lane').count()).toBe(5);
      expect(await page.locator('#diagram .msg').count()).toBe(8);
      expect(await page.locator('#diagram .msg.broke').count()).toBe(1);
      const box = await page.locator('#diagram').boundingBox();
      expect(box!.width).toBeGreaterThan(500);
      expect(box!.height).toBeGreaterThan(200);
      // The state view: after the last step at first; a click on step 3 shows the state there, its changes marked.
      expect(await page.locator('#state-title').textContent()).toContain('after step 8');
      await steps.nth(2).click();
      expect(await page.locator('#state-title').textContent()).toBe('after step 3: register(p0)');
      expect(await page.locator('#state tbody tr').count()).toBeGreaterThan(20);
      const changed = await page.locator('#state tbody tr.changed td:first-child').allTextContents();
      expect(changed).toContain('p0 registration');
      await page.locator('#only-changed').check();
      expect(await page.locator('#state tbody tr').count()).toBe(changed.length);
      // A click on an arrow of the diagram selects its step too.
      await page.locator('#diagram .msg[data-step="6"]').click();
      expect(await page.locator('#state-title').textContent()).toBe('after step 6: migrate(p0, v1)');
      // The causal chain ends with what only user space can do.
      expect(await page.locator('#chain').textContent()).toContain('no kernel or hardware step can signal it');
      await page.screenshot({ path: 'out/report-browser.png', fullPage: true });
      expect(errors).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
