// The blocking designs (mirror-blocking-notifier, queue-preempt) against the manifest: the slowest rows,
// in a file of their own so that the suite's files spread over the two workers (test/suites.test.ts has
// the other non-P2P designs, test/suites-p2p.test.ts the P2P ones).
import { describe } from 'vitest';
import { blockingDesigns, designVerdicts } from './design-verdicts.ts';

describe('verdicts of the blocking designs', () => {
  designVerdicts(blockingDesigns);
});
