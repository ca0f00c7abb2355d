// The designs of the P2P configs against the manifest (the other half is in test/suites.test.ts).
import { describe } from 'vitest';
import { strategies } from '../model/strategies/index.ts';
import { configByName } from '../model/configs.ts';
import { designVerdicts } from './design-verdicts.ts';

describe('verdicts of the P2P designs', () => {
  designVerdicts(strategies.filter((s) => s.configs.some((c) => configByName(c)?.topology)).map((s) => s.name));
});
