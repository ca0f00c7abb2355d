// The mutants of lib/test_hmm.c's reference driver, dmirror: see mutants-suite.ts.
import { mutantSuite } from './mutants-suite.ts';

mutantSuite('hmm');
