import { Box, Button, Inline, LoadingButton, SectionMessage, Stack, Text, TextArea } from '@forge/react';
import { MESSAGE_MAX_CHARS } from '@kb/contracts';
import { useState, type ReactNode } from 'react';
import { AnswerRating } from './answer-rating';
import { AnswerText } from './answer-text';
import { ConversationList } from './conversation-list';
import { SourcesList } from './sources-list';
import type { Chat, Failure } from './use-chat';
import { useConversations } from './use-conversations';

interface ChatPanelProps {
  chat: Chat;
  /** What the reader is asking about, for the empty state ("this page", "this issue"). */
  subject: string;
  /** More actions beside "Ask" (the Jira panel's "Draft a reply"). */
  actions?: ReactNode;
  /** More content under the conversation (the drafted reply). */
  children?: ReactNode;
}

/**
 * The conversation: questions and cited answers to rate, a box to ask, errors with a way to try again, and
 * the reader's recent conversations to resume (when the service keeps them).
 */
export function ChatPanel({ chat, subject, actions, children }: ChatPanelProps) {
  const [question, setQuestion] = useState('');
  const conversations = useConversations((deleted) => {
    if (deleted === chat.conversationId) chat.startOver();
  });
  const busy = chat.pendingQuestion !== null;
  const offersHistory = conversations.available && !chat.historyOff;
  const choose = (id: string): void => {
    conversations.close();
    chat.resume(id);
  };
  const send = (): void => {
    if (!question.trim() || busy) return;
    chat.ask(question);
    setQuestion('');
  };
  return (
    <Stack space="space.200">
      {offersHistory && (
        <Button
          appearance="subtle"
          spacing="compact"
          iconBefore="recent"
          isSelected={conversations.open}
          onClick={conversations.toggle}
        >
          Recent conversations
        </Button>
      )}
      {offersHistory && conversations.open && (
        <ConversationList conversations={conversations} current={chat.conversationId} onChoose={choose} />
      )}
      {chat.resuming && <Text>Loading the conversation…</Text>}
      {chat.exchanges.length === 0 && !busy && !chat.resuming && (
        <Text>
          Ask a question about {subject}. Answers come from the knowledge base and name their sources.
        </Text>
      )}
      {chat.omittedMessages > 0 && (
        <Text color="color.text.subtlest">
          {chat.omittedMessages} earlier messages are not shown; the conversation continues from all of them.
        </Text>
      )}
      {chat.exchanges.map((exchange, i) => (
        <Stack key={exchange.messageId ?? `question-${String(i)}`} space="space.100">
          <Text weight="bold">You: {exchange.question}</Text>
          <AnswerText answer={exchange.answer} sources={exchange.sources} />
          <SourcesList sources={exchange.sources} />
          {exchange.messageId && (
            <AnswerRating messageId={exchange.messageId} feedback={exchange.feedback} onRated={chat.rated} />
          )}
        </Stack>
      ))}
      {busy && <Text weight="bold">You: {chat.pendingQuestion}</Text>}
      {chat.failure && <FailureMessage failure={chat.failure} />}
      {children}
      <TextArea
        placeholder="Ask a question…"
        value={question}
        maxLength={MESSAGE_MAX_CHARS}
        isDisabled={busy}
        onChange={(event) => {
          setQuestion(String(event.target.value ?? ''));
        }}
      />
      <Inline space="space.100" alignBlock="center">
        <LoadingButton appearance="primary" isLoading={busy} isDisabled={!question.trim()} onClick={send}>
          Ask
        </LoadingButton>
        {actions}
        <Button
          appearance="subtle"
          isDisabled={chat.exchanges.length === 0 && !chat.failure && !chat.reply && !chat.resuming}
          onClick={chat.startOver}
        >
          New conversation
        </Button>
      </Inline>
    </Stack>
  );
}

export function FailureMessage({ failure }: { failure: Failure }) {
  return (
    <SectionMessage appearance="error" title="That did not work">
      <Box>
        <Text>{failure.error.message}</Text>
        {failure.error.retryable && (
          <Button appearance="default" onClick={failure.retry}>
            Try again
          </Button>
        )}
      </Box>
    </SectionMessage>
  );
}
