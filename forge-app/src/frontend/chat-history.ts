import { HISTORY_MAX_TURNS, type ChatTurn } from '@kb/contracts';
import { HISTORY_MAX_BYTES, jsonBytes, truncateToBytes, TURN_MAX_BYTES } from '../payload-limits';

/** A question of the session and the answer it got. */
interface Asked {
  question: string;
  answer: string;
}

/**
 * The history sent with the next question: the most recent turns, oldest first, within the contract's
 * turn count and within HISTORY_MAX_BYTES, so the invoke payload stays far below Forge's 500 KB whatever
 * the conversation holds. A long turn keeps its start (TURN_MAX_BYTES); when the turns still weigh too
 * much, the oldest go first: the latest ones are what a follow-up question refers to.
 */
export function historyOf(exchanges: readonly Asked[]): ChatTurn[] {
  // Only the exchanges that can make the last HISTORY_MAX_TURNS turns are looked at, however long the session.
  const turns = exchanges.slice(-Math.ceil(HISTORY_MAX_TURNS / 2)).flatMap((e): ChatTurn[] => [
    { role: 'user', content: fitTurn(e.question) },
    { role: 'assistant', content: fitTurn(e.answer) },
  ]);
  const kept: ChatTurn[] = [];
  let bytes = 2; // the brackets of the JSON array
  for (const turn of turns.slice(-HISTORY_MAX_TURNS).reverse()) {
    const size = jsonBytes(turn) + 1; // and its comma
    if (bytes + size > HISTORY_MAX_BYTES) break;
    bytes += size;
    kept.push(turn);
  }
  // A question never leads: a history that starts with an answer has lost the question it answered.
  if (kept.at(-1)?.role === 'assistant') kept.pop();
  return kept.reverse();
}

/** At most TURN_MAX_BYTES, which is also within the contract's 16,000 characters (a character is a byte or more). */
function fitTurn(content: string): string {
  return truncateToBytes(content, TURN_MAX_BYTES);
}
