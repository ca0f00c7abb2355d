#!/usr/bin/env node
// The dmacheck command: runs the compiled JavaScript in dist/ (built by `npm run build`, which `npm ci`
// runs through the prepare script, and which a packed dmacheck ships), so nothing is transpiled at run time.
let main;
try {
  ({ main } = await import('../dist/src/cli/main.js'));
} catch (e) {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/src/cli/main.js')) {
    console.error('dmacheck: dist/ is not built; run `npm run build` (npm ci runs it) in the dmacheck checkout');
    process.exit(2);
  }
  throw e;
}
process.exitCode = await main(process.argv.slice(2));
