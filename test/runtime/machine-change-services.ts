/**
 * Services for machine-change-builtins.test.ts: preboot's, with `watchHolds` provided under the name a changed copy
 * of the machine gives it (`watchHoldRegistry`), so that the resume gets past the services' own check and the
 * machine-change check is what decides about the running child.
 */
import { prebootServices } from '../../src/services/preboot/index.ts';

const { watchHolds, ...actors } = prebootServices.actors as Record<string, unknown>;
export const renamedPrebootServices = { ...prebootServices, actors: { ...actors, watchHoldRegistry: watchHolds } };
