// The mutants of the notifier designs (odp-mirror, mirror-blocking-notifier, queue-preempt): see mutants-suite.ts.
import { mutantGroupsCoverAll, mutantSuite } from './mutants-suite.ts';

mutantSuite('notifiers');
mutantGroupsCoverAll();
