// What an answer may be built from: the retriever's relevance gate, per-document cap and fusion, and the
// stores' filters. Guarded by the retriever's unit suites (its rules with exact scores, over a store whose
// ranking the test sets), the Qdrant filter's shape, and the stores' conformance suite.
import { mutationRun } from './base.mjs';

export default mutationRun({
  name: 'retrieval',
  mutate: ['src/retrieval/*.ts', 'src/store/qdrant-filter.ts'],
  tests: ['retriever.test.ts', 'retrieval-rules.test.ts', 'qdrant-filter.test.ts', 'qdrant-store.test.ts'],
});
