import { ChatResponse, SourcesEvent, TokenEvent } from '@kb/contracts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { NO_MODEL_NOTICE } from '../../src/chat/extractive.js';
import { NOTHING_FOUND } from '../../src/chat/chat-service.js';
import { SAMPLE_DOCS_DIR } from '../../src/config.js';
import { parseSse, useTestService } from '../helpers/service.js';

describe('POST /api/v1/chat', () => {
  const t = useTestService();

  it('answers from the sample docs with cited sources (JSON)', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'How do I reindex the knowledge base?' })
      .expect(200);
    const body = ChatResponse.parse(res.body);
    expect(body.answer.startsWith(NO_MODEL_NOTICE)).toBe(true);
    expect(body.sources.length).toBeGreaterThan(0);
    expect(body.sources.some((s) => s.cited && s.id.startsWith('file:reindexing.md#'))).toBe(true);
    expect(body.sources.map((s) => s.n)).toEqual(body.sources.map((_, i) => i + 1));
    for (const m of body.answer.matchAll(/\[(\d+)\]/g)) {
      const source = body.sources.find((s) => s.n === Number(m[1]));
      expect(source?.cited).toBe(true);
    }
    expect(body.model).toEqual({ llm: 'none', embeddings: 'none' });
    expect(body.conversationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('echoes the conversation id it was given', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'Which port?', conversationId: 'conv-42' })
      .expect(200);
    expect(res.body.conversationId).toBe('conv-42');
  });

  it('says plainly when nothing relevant is found, with no sources', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'What is the capital of France?' })
      .expect(200);
    expect(res.body).toMatchObject({ answer: NOTHING_FOUND, sources: [] });
  });

  it('streams sources, tokens, then done, in that order, agreeing with the JSON answer', async () => {
    const message = 'How do I connect to Confluence?';
    const res = await request(t.url)
      .post('/api/v1/chat')
      .set('Accept', 'text/event-stream')
      .send({ message })
      .buffer(true)
      .parse((r, cb) => {
        let data = '';
        r.on('data', (c: Buffer) => (data += c.toString()));
        r.on('end', () => cb(null, data));
      })
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(res.body as string);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('sources');
    expect(names.at(-1)).toBe('done');
    expect(names.slice(1, -1).every((n) => n === 'token')).toBe(true);
    expect(names.filter((n) => n === 'token').length).toBeGreaterThan(1);

    const sources = SourcesEvent.parse(events[0]!.data).sources;
    const tokens = events
      .filter((e) => e.event === 'token')
      .map((e) => TokenEvent.parse(e.data).text)
      .join('');
    const done = ChatResponse.parse(events.at(-1)!.data);
    expect(tokens).toBe(done.answer);
    expect(done.sources.map((s) => s.id)).toEqual(sources.map((s) => s.id));
    expect(done.sources[0]).toMatchObject({
      title: expect.stringContaining('Confluence'),
      url: 'confluence.md#connect-to-confluence',
    });

    const json = await request(t.url).post('/api/v1/chat').send({ message }).expect(200);
    expect(json.body.answer).toBe(done.answer);
  });

  it('uses the Jira issue as retrieval context', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({
        message: 'Draft a reply to the customer',
        context: {
          product: 'jira',
          issue: {
            key: 'SUP-7',
            summary: 'Upload refused',
            description: 'My PDF upload is refused as unsupported',
          },
        },
      })
      .expect(200);
    expect(
      res.body.sources.some((s: { id: string }) => /uploading-documents|troubleshooting/.test(s.id)),
    ).toBe(true);
  });

  it('follows a short follow-up with the previous question', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({
        message: 'and how long does that take?',
        history: [
          { role: 'user', content: 'How do I reindex the knowledge base?' },
          { role: 'assistant', content: 'Use the admin page [1].' },
        ],
      })
      .expect(200);
    expect(res.body.sources[0].id).toMatch(/^file:reindexing\.md#/);
  });

  it("quotes the sample docs' command block whole, byte for byte, when asked how to do something", async () => {
    const guide = await readFile(path.join(SAMPLE_DOCS_DIR, 'reindexing.md'), 'utf8');
    const block = /```bash\n[\s\S]*?```/.exec(guide)![0];
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'How do I reindex from the command line?' })
      .expect(200);
    expect(res.body.answer).toContain(block);
    expect(res.body.answer).toMatch(/Reindex from the command line: “[^”]+:” \[1\]/);
  });

  it("says the docs do not cover an unrelated follow-up, rather than answering from the conversation's topic", async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({
        message: 'Does it support Slack?',
        history: [
          { role: 'user', content: 'How do I reindex the knowledge base?' },
          { role: 'assistant', content: 'Use the admin page [1].' },
        ],
      })
      .expect(200);
    expect(res.body).toMatchObject({ answer: NOTHING_FOUND, sources: [] });
  });

  it('narrows retrieval to the requested spaces (files have none, so nothing matches)', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'How do I reindex the knowledge base?', filters: { spaceKeys: ['ENG'] } })
      .expect(200);
    expect(res.body.sources).toEqual([]);
  });
});

describe('RETRIEVAL_TOP_K', () => {
  const t = useTestService({ RETRIEVAL_TOP_K: '2' });

  it('limits the passages an answer rests on', async () => {
    const res = await request(t.url)
      .post('/api/v1/chat')
      .send({ message: 'How do I reindex the knowledge base?' })
      .expect(200);
    expect(res.body.sources).toHaveLength(2);
  });
});
