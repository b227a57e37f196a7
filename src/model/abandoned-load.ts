/**
 * Whether a user's module was given up on while loading: kept apart from `load.ts` so that the CLI can ask
 * without loading the machine loader (and with it the built-in machines and XState) on every start.
 */
let abandoned = false;

/** Records that a user's module was given up on while loading. */
export function markAbandonedLoad(): void {
  abandoned = true;
}

/**
 * True once a user's module was given up on while loading (it timed out, awaited forever, or tried to exit): its
 * timers or sockets may still keep the process alive, so the CLI exits instead of waiting for them.
 */
export function hasAbandonedLoad(): boolean {
  return abandoned;
}
