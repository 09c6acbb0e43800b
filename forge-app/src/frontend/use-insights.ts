import type { Insights } from '@kb/contracts';
import { useEffect, useRef, useState } from 'react';
import type { ResolverFailure } from '../resolver-contract';
import { callResolver } from './call-resolver';

/** The periods an admin can pick, in days. */
export const INSIGHTS_PERIODS = [7, 30, 90] as const;

export interface InsightsState {
  days: number;
  loading: boolean;
  insights: Insights | null;
  /** Why there are none: the service keeps no history (HISTORY=off), or the call failed. */
  failure: ResolverFailure | null;
  choose: (days: number) => void;
}

/** The admin page's insights for the chosen period, loaded when the page opens and when the period changes. */
export function useInsights(): InsightsState {
  const [days, setDays] = useState(30);
  const [loading, setLoading] = useState(true);
  const [insights, setInsights] = useState<Insights | null>(null);
  const [failure, setFailure] = useState<ResolverFailure | null>(null);
  const asked = useRef(0);

  useEffect(() => {
    const ask = ++asked.current;
    setLoading(true);
    void callResolver('insights', { days }).then((result) => {
      // A later choice of period wins over an earlier answer that arrives late.
      if (ask !== asked.current) return;
      setLoading(false);
      if (result.ok) {
        setInsights(result.data);
        setFailure(null);
      } else {
        setInsights(null);
        setFailure(result.error);
      }
    });
  }, [days]);
  useEffect(
    () => () => {
      asked.current = -1;
    },
    [],
  );

  return { days, loading, insights, failure, choose: setDays };
}
