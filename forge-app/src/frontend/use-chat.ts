import type { ChatResponse, Feedback, Source } from '@kb/contracts';
import { useRef, useState } from 'react';
import type { ResolverFailure } from '../resolver-contract';
import { callResolver } from './call-resolver';
import { historyOf } from './chat-history';
import { exchangesOf } from './stored-conversation';

export interface Exchange {
  question: string;
  answer: string;
  sources: Source[];
  /** The stored answer, to rate; null when the service keeps no history. */
  messageId: string | null;
  /** The reader's rating of it, as the service stored it. */
  feedback: Feedback | null;
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
  /** The stored conversation this one continues, once the service has named it. */
  conversationId: string | null;
  /** A conversation being loaded from the recent list. */
  resuming: boolean;
  /** How many older messages of a resumed conversation were too many to bring back. */
  omittedMessages: number;
  /** Set once an answer came with no `messageId`: the service keeps no history, so nothing to list or rate. */
  historyOff: boolean;
  ask: (question: string) => void;
  draftReply: () => void;
  startOver: () => void;
  /** Loads a stored conversation; the next question continues it. */
  resume: (conversationId: string) => void;
  /** Keeps the rating the service stored for an answer, so it shows until the panel closes. */
  rated: (messageId: string, feedback: Feedback) => void;
}

/**
 * One conversation with the knowledge base: the session's history goes with each question (a service that
 * keeps history continues from its own copy, named by the conversation id), failures keep the question so
 * "Try again" repeats it exactly, "New conversation" forgets everything, and a stored one can be resumed.
 */
export function useChat(): Chat {
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [pendingQuestion, setPendingQuestion] = useState<string | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [reply, setReply] = useState<ChatResponse | null>(null);
  const [draftingReply, setDraftingReply] = useState(false);
  const [resuming, setResuming] = useState(false);
  const [omittedMessages, setOmittedMessages] = useState(0);
  const [historyOff, setHistoryOff] = useState(false);
  // A ref for the calls (always the latest), mirrored in state for rendering.
  const conversationId = useRef<string | undefined>(undefined);
  const [shownConversationId, setShownConversationId] = useState<string | null>(null);
  // A "New conversation" (or a resumed one) while a call is out makes its late answer belong to a
  // conversation that is gone.
  const generation = useRef(0);

  const continueWith = (id: string | undefined): void => {
    conversationId.current = id;
    setShownConversationId(id ?? null);
  };

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
      continueWith(result.data.conversationId);
      setHistoryOff(result.data.messageId === null);
      setExchanges((done) => [
        ...done,
        {
          question: message,
          answer: result.data.answer,
          sources: result.data.sources,
          messageId: result.data.messageId,
          feedback: null,
        },
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
    continueWith(undefined);
    setExchanges([]);
    setPendingQuestion(null);
    setFailure(null);
    setReply(null);
    setDraftingReply(false);
    setResuming(false);
    setOmittedMessages(0);
  };

  const resume = (id: string): void => {
    startOver();
    const asked = generation.current;
    setResuming(true);
    void callResolver('getConversation', { id }).then((result) => {
      if (asked !== generation.current) return;
      setResuming(false);
      if (!result.ok) {
        setFailure({ error: result.error, retry: () => resume(id) });
        return;
      }
      continueWith(result.data.id);
      setExchanges(exchangesOf(result.data.messages));
      setOmittedMessages(result.data.omittedMessages);
    });
  };

  const rated = (messageId: string, feedback: Feedback): void => {
    setExchanges((done) => done.map((e) => (e.messageId === messageId ? { ...e, feedback } : e)));
  };

  return {
    exchanges,
    pendingQuestion,
    failure,
    reply,
    draftingReply,
    conversationId: shownConversationId,
    resuming,
    omittedMessages,
    historyOff,
    ask,
    draftReply,
    startOver,
    resume,
    rated,
  };
}
