// The e2e project runs two files at a time. Its two long scenario files go first, one to each worker, and the
// short files fill in behind the one that ends first: the tier lasts about as long as its longest file.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LONGEST_FIRST = ['e2e/scenarios/lifecycle.test.ts', 'e2e/scenarios/backup-restore.test.ts'];

export class ScenariosFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = LONGEST_FIRST.findIndex((suffix) => f.moduleId.endsWith(suffix));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the other files keep the base order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
