// The mutants of the pinning, PeerDirect, DMA-BUF and HMM P2P designs: see mutants-suite.ts.
import { mutantSuite } from './mutants-suite.ts';

mutantSuite('pins-and-p2p');
