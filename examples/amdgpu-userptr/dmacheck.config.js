// Names this package's strategies for the dmacheck command line (check, matrix, mutants, replay,
// explore, list). The module is the compiled driver: `npm run build` first.
export default {
  strategies: ['./build/driver.js'],
  manifest: 'dmacheck.manifest.json',
};
