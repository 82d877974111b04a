/** What a rotation reports as it goes: one event stream for the TTY, plain lines and NDJSON. */
import type { Phase, Verdict } from './journal.js';

export type ProgressEvent =
  | { readonly type: 'phase'; readonly rotation: string; readonly phase: Phase; readonly message: string }
  | {
      readonly type: 'step';
      readonly rotation: string;
      readonly step: string;
      readonly cluster: string;
      readonly state: 'started' | 'done' | 'failed';
      readonly detail: string;
    }
  | { readonly type: 'verdict'; readonly rotation: string; readonly verdict: Verdict }
  | { readonly type: 'warning'; readonly rotation: string; readonly message: string }
  | { readonly type: 'result'; readonly rotation: string; readonly phase: Phase; readonly message: string };

export type Reporter = (event: ProgressEvent) => void;
