// The mutants of the designs that map P2P memory into user space (p2p-gup, p2p-vma-map): see mutants-suite.ts.
import { mutantSuite } from './mutants-suite.ts';

mutantSuite('p2p-user');
