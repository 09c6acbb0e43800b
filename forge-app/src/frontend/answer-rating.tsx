import { Button, Inline, LoadingButton, RadioGroup, Stack, Text, TextArea } from '@forge/react';
import {
  FEEDBACK_COMMENT_MAX_CHARS,
  FeedbackReason,
  type Feedback,
  type FeedbackRequest,
} from '@kb/contracts';
import { useState } from 'react';
import type { ResolverFailure } from '../resolver-contract';
import { callResolver } from './call-resolver';

/** The reasons a reader can give for a poor answer, in the service's words and in the reader's. */
export const REASON_LABELS: Record<FeedbackReason, string> = {
  wrong: 'Wrong',
  outdated: 'Outdated',
  incomplete: 'Incomplete',
  not_relevant: 'Not relevant',
  other: 'Other',
};

interface AnswerRatingProps {
  messageId: string;
  /** The rating the service stored, if any. */
  feedback: Feedback | null;
  onRated: (messageId: string, feedback: Feedback) => void;
}

/**
 * Thumbs up or down on one answer. Up is sent at once; down asks why (a reason, an optional comment)
 * before sending, because that is what tells an admin which page to fix. The stored rating shows, and
 * choosing again replaces it.
 */
export function AnswerRating({ messageId, feedback, onRated }: AnswerRatingProps) {
  const [explaining, setExplaining] = useState(false);
  const [sending, setSending] = useState<FeedbackRequest['rating'] | null>(null);
  const [failure, setFailure] = useState<ResolverFailure | null>(null);

  const send = (request: FeedbackRequest): void => {
    if (sending) return;
    setSending(request.rating);
    setFailure(null);
    void callResolver('rateAnswer', { messageId, ...request }).then((result) => {
      setSending(null);
      if (!result.ok) {
        setFailure(result.error);
        return;
      }
      setExplaining(false);
      onRated(messageId, result.data);
    });
  };

  return (
    <Stack space="space.050">
      <Inline space="space.050" alignBlock="center" shouldWrap>
        <LoadingButton
          appearance="subtle"
          spacing="compact"
          isSelected={feedback?.rating === 'up'}
          isLoading={sending === 'up'}
          onClick={() => send({ rating: 'up' })}
        >
          👍 Helpful
        </LoadingButton>
        <Button
          appearance="subtle"
          spacing="compact"
          isSelected={explaining || feedback?.rating === 'down'}
          onClick={() => setExplaining(!explaining)}
        >
          👎 Not helpful
        </Button>
        {feedback && !explaining && (
          <Text size="small" color="color.text.subtlest">
            {ratingSummary(feedback)}
          </Text>
        )}
      </Inline>
      {explaining && (
        <WhyNotHelpful
          initial={feedback?.rating === 'down' ? feedback : null}
          sending={sending === 'down'}
          onSend={send}
          onCancel={() => setExplaining(false)}
        />
      )}
      {failure && (
        <Text size="small" color="color.text.danger">
          {failure.message}
        </Text>
      )}
    </Stack>
  );
}

function WhyNotHelpful(props: {
  initial: Feedback | null;
  sending: boolean;
  onSend: (request: FeedbackRequest) => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState<FeedbackReason | undefined>(props.initial?.reason ?? undefined);
  const [comment, setComment] = useState(props.initial?.comment ?? '');
  const send = (): void => {
    const trimmed = comment.trim();
    props.onSend({ rating: 'down', ...(reason ? { reason } : {}), ...(trimmed ? { comment: trimmed } : {}) });
  };
  return (
    <Stack space="space.100">
      <Text size="small">What was wrong with this answer?</Text>
      <RadioGroup
        name="reason"
        value={reason ?? null}
        options={FeedbackReason.options.map((value) => ({
          name: 'reason',
          value,
          label: REASON_LABELS[value],
        }))}
        onChange={(event) => {
          const picked = FeedbackReason.safeParse(event.target.value);
          if (picked.success) setReason(picked.data);
        }}
      />
      <TextArea
        placeholder="Anything to add? (optional)"
        value={comment}
        maxLength={FEEDBACK_COMMENT_MAX_CHARS}
        minimumRows={2}
        onChange={(event) => {
          setComment(String(event.target.value ?? ''));
        }}
      />
      <Inline space="space.100">
        <LoadingButton appearance="primary" spacing="compact" isLoading={props.sending} onClick={send}>
          Send feedback
        </LoadingButton>
        <Button appearance="subtle" spacing="compact" onClick={props.onCancel}>
          Cancel
        </Button>
      </Inline>
    </Stack>
  );
}

/** What the reader said, as the service stored it. */
export function ratingSummary(feedback: Feedback): string {
  if (feedback.rating === 'up') return 'You found this helpful.';
  return feedback.reason
    ? `You found this not helpful: ${REASON_LABELS[feedback.reason].toLowerCase()}.`
    : 'You found this not helpful.';
}
