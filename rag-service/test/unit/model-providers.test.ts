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
