import type { AnyStateMachine } from 'xstate';
import type { EventCatalogue } from './catalogue.ts';
import { installMachine } from './install.ts';
import { installCatalogue } from './install.catalogue.ts';
import { upgradeMachine } from './upgrade.ts';
import { upgradeCatalogue } from './upgrade.catalogue.ts';
import { prebootMachine } from './preboot.ts';
import { prebootCatalogue } from './preboot.catalogue.ts';
import { operatorMachine } from './operator.ts';
import { operatorCatalogue } from './operator.catalogue.ts';

/** A lifecycle that ships with lifecycle-kit. */
export interface BuiltinLifecycle {
  name: string;
  /** One line, shown by `lifecycle list`. */
  description: string;
  machine: AnyStateMachine;
  /** Payload samples so that path generation can take every transition. */
  catalogue?: EventCatalogue;
}

/** The registry of built-in lifecycles, in the order `lifecycle list` shows them. */
export const BUILTINS: readonly BuiltinLifecycle[] = [
  {
    name: 'install',
    description: 'Package install in resumable steps: preconditions, five asset steps, retries with backoff, resume and rollback.',
    machine: installMachine,
    catalogue: installCatalogue,
  },
  {
    name: 'upgrade',
    description: 'Agent self-upgrade where the next version does the work: download, verify, extract, hand-off, watch, roll back.',
    machine: upgradeMachine,
    catalogue: upgradeCatalogue,
  },
  {
    name: 'preboot',
    description: 'Staged server start: preboot server with setup/start holds, config reload, setup, start, running, stop.',
    machine: prebootMachine,
    catalogue: prebootCatalogue,
  },
  {
    name: 'operator',
    description: 'Level-triggered reconcile of an application lifecycle with deploy/upgrade/update plans and requeue.',
    machine: operatorMachine,
    catalogue: operatorCatalogue,
  },
];

export { BUILTIN_NAMES } from './names.ts';

export { installMachine, upgradeMachine, prebootMachine, operatorMachine };
