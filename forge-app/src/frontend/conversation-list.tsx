import { Button, Inline, LoadingButton, Stack, Text } from '@forge/react';
import type { ConversationSummary } from '@kb/contracts';
import { relativeTime } from './relative-time';
import type { Conversations } from './use-conversations';

interface ConversationListProps {
  conversations: Conversations;
  /** The conversation on screen, marked in the list. */
  current: string | null;
  onChoose: (id: string) => void;
}

/** The reader's recent conversations, newest first: choose one to continue it, or delete it. */
export function ConversationList({ conversations, current, onChoose }: ConversationListProps) {
  const { items, loading, failure } = conversations;
  return (
    <Stack space="space.100">
      {items.map((conversation) => (
        <ConversationRow
          key={conversation.id}
          conversation={conversation}
          isCurrent={conversation.id === current}
          isDeleting={conversations.deleting === conversation.id}
          onChoose={onChoose}
          onDelete={conversations.remove}
        />
      ))}
      {loading && items.length === 0 && (
        <Text color="color.text.subtlest">Loading recent conversations…</Text>
      )}
      {!loading && !failure && items.length === 0 && (
        <Text color="color.text.subtlest">No conversations yet. Questions you ask are kept here.</Text>
      )}
      {failure && (
        // Quiet, not an error box: the list is an extra, and asking still works.
        <Inline space="space.100" alignBlock="center" shouldWrap>
          <Text color="color.text.subtlest">{failure.error.message}</Text>
          {failure.error.retryable && (
            <Button appearance="subtle" spacing="none" onClick={failure.retry}>
              Reload
            </Button>
          )}
        </Inline>
      )}
      {conversations.hasMore && (
        <LoadingButton
          appearance="subtle"
          spacing="compact"
          isLoading={loading}
          onClick={conversations.loadMore}
        >
          Show more
        </LoadingButton>
      )}
    </Stack>
  );
}

function ConversationRow(props: {
  conversation: ConversationSummary;
  isCurrent: boolean;
  isDeleting: boolean;
  onChoose: (id: string) => void;
  onDelete: (id: string) => void;
}) {
  const { conversation, isCurrent, isDeleting } = props;
  const questions = Math.ceil(conversation.messageCount / 2);
  return (
    <Inline space="space.100" alignBlock="center" spread="space-between">
      <Stack space="space.0">
        <Button
          appearance="subtle"
          spacing="none"
          isSelected={isCurrent}
          onClick={() => props.onChoose(conversation.id)}
        >
          {conversation.title}
        </Button>
        <Text size="small" color="color.text.subtlest">
          {relativeTime(conversation.updatedAt)} · {questions} {questions === 1 ? 'question' : 'questions'}
        </Text>
      </Stack>
      <LoadingButton
        appearance="subtle"
        spacing="compact"
        isLoading={isDeleting}
        onClick={() => props.onDelete(conversation.id)}
      >
        Delete
      </LoadingButton>
    </Inline>
  );
}
