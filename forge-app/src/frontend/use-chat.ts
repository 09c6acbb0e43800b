import type { ChatResponse, Source } from '@kb/contracts';
import { useRef, useState } from 'react';
import type { ResolverFailure } from '../resolver-contract';
import { callResolver } from './call-resolver';
import { historyOf } from './chat-history';

export interface Exchange {
  question: string;
  answer: string;
  sources: Source[];
}

/** The last call that failed and how to make it again. */
export interface Failure {
  error: ResolverFailure;
  retry: () => void;
}

export interface Chat {
  exchanges: Exchange[];
  /** The question being answered right now, shown at once so the reader sees it was taken. */
  pendingQuestion: string | null;
  failure: Failure | null;
  /** The drafted Jira reply, when asked for. */
  reply: ChatResponse | null;
  draftingReply: boolean;
  ask: (question: string) => void;
  draftReply: () => void;
  startOver: () => void;
}

/**
 * One conversation with the knowledge base: the session's history goes with each question, failures
 * keep the question so "Try again" repeats it exactly, and "Start over" forgets everything.
 */
export function useChat(): Chat {
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [pendingQuestion, setPendingQuestion] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [reply, setReply] = useState<ChatResponse | null>(null);
  const [draftingReply, setDraftingReply] = useState(false);
  const conversationId = useRef<string | undefined>(undefined);
  // A "Start over" while a call is out makes its late answer belong to a conversation that is gone.
  const generation = useRef(0);

  const ask = (question: string): void => {
    const message = question.trim();
    if (!message || pendingQuestion !== null) return;
    const asked = generation.current;
    setPendingQuestion(message);
    setFailure(null);
    void callResolver('chat', {
      message,
      history: historyOf(exchanges),
      ...(conversationId.current ? { conversationId: conversationId.current } : {}),
    }).then((result) => {
      if (asked !== generation.current) return;
      setPendingQuestion(null);
      if (!result.ok) {
        setFailure({ error: result.error, retry: () => ask(message) });
        return;
      }
      conversationId.current = result.data.conversationId;
      setExchanges((done) => [
        ...done,
        { question: message, answer: result.data.answer, sources: result.data.sources },
      ]);
    });
  };

  const draftReply = (): void => {
    if (draftingReply) return;
    const asked = generation.current;
    setDraftingReply(true);
    setFailure(null);
    void callResolver(
      'draftReply',
      conversationId.current ? { conversationId: conversationId.current } : {},
    ).then((result) => {
      if (asked !== generation.current) return;
      setDraftingReply(false);
      if (result.ok) setReply(result.data);
      else setFailure({ error: result.error, retry: draftReply });
    });
  };

  const startOver = (): void => {
    generation.current += 1;
    conversationId.current = undefined;
    setExchanges([]);
    setPendingQuestion(null);
    setFailure(null);
    setReply(null);
    setDraftingReply(false);
  };

  return { exchanges, pendingQuestion, failure, reply, draftingReply, ask, draftReply, startOver };
}
