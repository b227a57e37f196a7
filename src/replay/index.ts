export { readReplayJournal, assertJournalOf, type ReplayJournal, type ReplayLine } from './journal.ts';
export { replayJournal, type ReplayResult, type ReplayStep } from './replay.ts';
export { formatReplay } from './format.ts';
