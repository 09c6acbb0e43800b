import { loadConfig } from '../../src/config.js';
import { geminiChatModel, geminiEmbedder } from '../../src/models/gemini.js';
import { openAIChatModel, openAIEmbedder } from '../../src/models/openai.js';
import { describeModelProvider } from '../conformance/model-provider.js';
import { GeminiTestServer } from '../fakes/gemini-server.js';
import { OpenAITestServer } from '../fakes/openai-server.js';

describeModelProvider('OpenAI (ChatOpenAI, OpenAIEmbeddings)', {
  server: () => new OpenAITestServer().start(),
  config: (server, apiKey = server.apiKey) =>
    loadConfig({ OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: server.baseUrl }),
  chatModel: openAIChatModel,
  embedder: openAIEmbedder,
  chatPath: /^\/v1\/chat\/completions$/,
  embedPath: /^\/v1\/embeddings$/,
});

describeModelProvider('Gemini (ChatGoogleGenerativeAI, GoogleGenerativeAIEmbeddings)', {
  server: () => new GeminiTestServer().start(),
  config: (server, apiKey = server.apiKey) =>
    loadConfig({ GOOGLE_API_KEY: apiKey, GEMINI_BASE_URL: server.url }),
  chatModel: geminiChatModel,
  embedder: geminiEmbedder,
  chatPath: /:(stream)?[gG]enerateContent/,
  embedPath: /:batchEmbedContents$/,
});

describe('OpenAI embeddings wire formats', () => {
  it('decodes base64 (the SDK default) and float answers to the same vectors', async () => {
    const server = await new OpenAITestServer().start();
    try {
      const { OpenAIEmbeddings } = await import('@langchain/openai');
      const make = (encodingFormat?: 'float' | 'base64') =>
        new OpenAIEmbeddings({
          model: 'text-embedding-3-small',
          apiKey: server.apiKey,
          maxRetries: 0,
          encodingFormat,
          configuration: { baseURL: server.baseUrl },
        });
      const viaDefault = await make().embedDocuments(['rotate the token']);
      const viaFloat = await make('float').embedDocuments(['rotate the token']);
      const formats = server.requests.map((r) => (r.body as { encoding_format?: string }).encoding_format);
      expect(formats).toEqual(['base64', 'float']);
      const expected = server.embedder.vector('rotate the token');
      for (const got of [viaDefault[0]!, viaFloat[0]!])
        got.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 6));
    } finally {
      await server.close();
    }
  });
});
