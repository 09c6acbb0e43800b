// What an answer may be built from: the retriever's relevance gate, per-document cap and fusion, and the
// stores' filters. Guarded by the retriever's unit suite and the stores' conformance suite.
import { mutationRun } from './base.mjs';

export default mutationRun({
  name: 'retrieval',
  mutate: ['src/retrieval/*.ts', 'src/store/qdrant-filter.ts'],
  tests: ['retriever.test.ts', 'qdrant-store.test.ts'],
});
