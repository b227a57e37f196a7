/**
 * What a person running `lifecycle run operator` needs to see, printed under a transition: what it waits for and
 * where the spec and the status are. Pure: from the context only.
 */
import type { OperatorContext } from '../../../machines/operator.ts';

export function operatorNotes({ context, value }: { context: OperatorContext; value: unknown }): string[] {
  const spec = context.lastAppliedInstanceSpec;
  const app = `app ${context.appState}${spec ? ` (version ${spec.version})` : ''}`;
  const every = `${Math.round(context.resyncMs / 100) / 10} s`;
  switch (value) {
    case 'converged':
      return [`${app}; edit ${context.specPath} to change it (checked every ${every}); status in ${context.statusPath}`];
    case 'degraded':
      return [`degraded: ${context.lastError?.message ?? 'a step failed'}; retried every ${every}; status in ${context.statusPath}`];
    case 'blocked':
      return [`blocked until ${context.specPath} changes: ${context.lastError?.message ?? 'the plan failed fatally'}`];
    default:
      return [];
  }
}
