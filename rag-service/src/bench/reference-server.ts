/**
 * The usual alternative, for comparison: an Express endpoint over LangChain.js's standard retrieval chain
 * (createRetrievalChain + createStuffDocumentsChain) and its in-memory vector store, with the same model
 * servers as the service. Built the way most teams would, straight from LangChain's documentation.
 *
 * Env: PORT, OPENAI_API_KEY, OPENAI_BASE_URL, REFERENCE_CORPUS (JSON lines of {text, title, vector}).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createRetrievalChain } from '@langchain/classic/chains/retrieval';
import { createStuffDocumentsChain } from '@langchain/classic/chains/combine_documents';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { Document } from '@langchain/core/documents';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import express from 'express';

const configuration = { baseURL: process.env.OPENAI_BASE_URL };
const apiKey = process.env.OPENAI_API_KEY;
const embeddings = new OpenAIEmbeddings({ apiKey, configuration, model: 'text-embedding-3-small' });
const llm = new ChatOpenAI({ apiKey, configuration, model: 'gpt-4o-mini' });
const store = new MemoryVectorStore(embeddings);

const vectors: number[][] = [];
const documents: Document[] = [];
const lines = createInterface({
  input: createReadStream(process.env.REFERENCE_CORPUS!, 'utf8'),
  crlfDelay: Infinity,
});
for await (const line of lines) {
  if (!line) continue;
  const row = JSON.parse(line) as { text: string; title: string; vector: number[] };
  vectors.push(row.vector);
  documents.push(new Document({ pageContent: row.text, metadata: { title: row.title } }));
}
await store.addVectors(vectors, documents);

const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'Answer the question from the context only, citing it.\n\nContext:\n{context}'],
  ['human', '{input}'],
]);
const chain = await createRetrievalChain({
  retriever: store.asRetriever(5),
  combineDocsChain: await createStuffDocumentsChain({ llm, prompt }),
});

const app = express();
app.use(express.json());
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.post('/api/v1/chat', async (req, res) => {
  try {
    const { message } = req.body as { message?: unknown };
    const result = await chain.invoke({ input: typeof message === 'string' ? message : '' });
    res.json({ answer: result.answer, sources: result.context.map((d) => d.metadata) });
  } catch (err) {
    res.status(500).json({ error: { code: 'internal', message: (err as Error).message } });
  }
});
app.listen(Number(process.env.PORT), '127.0.0.1');
