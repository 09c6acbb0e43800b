import { EmbeddedStore } from '../../src/store/embedded.js';
import { describeVectorStore } from '../conformance/vector-store.js';
import { tempDir } from '../helpers/temp.js';

describeVectorStore('embedded (LanceDB)', async () => {
  const tmp = await tempDir();
  return {
    open: (identity, options) => EmbeddedStore.open({ dir: tmp.dir, identity, reset: options?.reset }),
    cleanup: tmp.remove,
  };
});
