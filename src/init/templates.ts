/**
 * What `lifecycle init` writes, as source text: a machine built with the step helper and one state that waits for
 * an event, its real file-system services, and the JSON catalogue its guards need. Pure.
 */
import type { LifecycleNames } from './names.ts';

export interface TemplateRefs {
  /** The machine's file from the services' folder (`./deploy.ts`). */
  machineImport: string;
  /** The catalogue's file from the machine's folder (`./deploy.catalogue.json`). */
  catalogueImport: string;
  /** The schema's path from the catalogue's folder. */
  schema: string;
  /** `npx lifecycle testgen …`: how to regenerate the test after editing the machine. */
  testgen: string;
  machineRef: string;
}

export function machineSource(n: LifecycleNames, refs: TemplateRefs): string {
  const { pascal, machineExport, name } = n;
  return `/**
 * # ${name}: prepare, wait for approval, apply
 *
 * preparing (a retried step) ─▶ awaitingApproval ─APPROVE { by }─▶ applying (a retried step) ─▶ done
 *                                      └─REJECT─▶ rejected          a step that gives up ─▶ failed
 *
 * Pure: the actors below are placeholders; the real ones (files under the input's \`dir\`) are in
 * ${name}.services.ts, which \`lifecycle run\` finds beside this file. The catalogue (${refs.catalogueImport}) gives the
 * samples the guards need. After editing:
 *   npx lifecycle validate ${refs.machineRef}
 *   ${refs.testgen}
 */
import { assign, fromPromise, setup } from 'xstate';
import { initialStepProgress, retryingStep, stepAssigners as a, stepDelays, stepGuards, type StepProgress } from 'lifecycle-kit/steps';
import catalogueJson from '${refs.catalogueImport}' with { type: 'json' };

export interface ${pascal}Input {
  /** The folder the steps write to. */
  dir: string;
}

export interface ${pascal}Context extends StepProgress {
  dir: string;
  approvedBy: string | null;
}

export type ${pascal}Event = { type: 'APPROVE'; by: string } | { type: 'REJECT'; reason?: string };

/** What each step's service returns: the file it wrote. */
export interface StepOutput {
  file: string;
}

const notProvided = (name: string) => fromPromise<StepOutput, { dir: string; approvedBy?: string | null }>(async () => {
  throw new Error(\`\${name} is not provided: run with the services of ${name}.services.ts\`);
});

export const ${machineExport} = setup({
  types: { input: {} as ${pascal}Input, context: {} as ${pascal}Context, events: {} as ${pascal}Event },
  actors: { prepare: notProvided('prepare'), apply: notProvided('apply') },
  // The step helper's bookkeeping (step, attempts, lastError): what \`lifecycle status\` shows. Wrapped, so that
  // assign gets this machine's context type.
  actions: {
    enterStep: assign((_, params: Parameters<typeof a.enterStep>[1]) => a.enterStep(_, params)),
    countAttempt: assign(({ context }) => a.countAttempt({ context })),
    recordError: assign(({ context }, params: { error: unknown }) => a.recordError({ context }, params)),
  },
  guards: { ...stepGuards, hasApprover: ({ event }) => event.type === 'APPROVE' && event.by.trim() !== '' },
  delays: stepDelays,
}).createMachine({
  id: '${name}',
  context: ({ input }) => ({ ...initialStepProgress(), dir: input.dir, approvedBy: null }),
  initial: 'preparing',
  states: {
    preparing: retryingStep({
      step: 'prepare',
      src: 'prepare',
      id: 'prepare',
      input: ({ context }: { context: ${pascal}Context }) => ({ dir: context.dir }),
      retry: { maxAttempts: 3, initialIntervalMs: 200 },
      onDone: { target: '#${name}.awaitingApproval' },
      onError: { target: '#${name}.failed' },
    }),
    awaitingApproval: {
      description: 'Waits for a person: lifecycle send \\'{"type":"APPROVE","by":"<name>"}\\'',
      tags: ['waiting'],
      on: {
        APPROVE: { guard: 'hasApprover', target: 'applying', actions: assign({ approvedBy: ({ event }) => event.by }) },
        REJECT: 'rejected',
      },
    },
    applying: retryingStep({
      step: 'apply',
      src: 'apply',
      id: 'apply',
      input: ({ context }: { context: ${pascal}Context }) => ({ dir: context.dir, approvedBy: context.approvedBy }),
      retry: { maxAttempts: 3, initialIntervalMs: 200 },
      onDone: { target: '#${name}.done' },
      onError: { target: '#${name}.failed' },
    }),
    done: { type: 'final', tags: ['success'] },
    rejected: { type: 'final', tags: ['failure'] },
    failed: { type: 'final', tags: ['failure'] },
  },
});

/** The samples paths and tests use (found here by every command): edit ${refs.catalogueImport}. */
export const catalogue = catalogueJson;
`;
}

export function servicesSource(n: LifecycleNames, refs: TemplateRefs): string {
  const { machineExport, name } = n;
  return `/**
 * The real services of ${name}: each step writes one file under the input's \`dir\`, atomically (a temp file, then
 * a rename), so a step a crash cut short runs again from scratch on \`lifecycle resume\`. The invariants say what
 * must be true on disk in a state (\`lifecycle run --verify\`, and the generated tests' sandboxed paths).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import { defineServices } from 'lifecycle-kit';
import { ${machineExport}, type StepOutput } from '${refs.machineImport}';

function writeAtomic(file: string, data: unknown): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(\`\${file}.tmp\`, \`\${JSON.stringify(data, null, 2)}\\n\`);
  renameSync(\`\${file}.tmp\`, file);
  return file;
}

const prepared = (dir: string) => join(dir, 'prepared.json');
const applied = (dir: string) => join(dir, 'applied.json');

export const services = defineServices(${machineExport}, {
  actors: {
    prepare: fromPromise<StepOutput, { dir: string }>(async ({ input }) => ({ file: writeAtomic(prepared(input.dir), { preparedAt: new Date().toISOString() }) })),
    apply: fromPromise<StepOutput, { dir: string; approvedBy?: string | null }>(async ({ input }) => {
      if (!existsSync(prepared(input.dir))) throw Object.assign(new Error(\`\${prepared(input.dir)} is missing: nothing was prepared\`), { kind: 'ENOENT' });
      return { file: writeAtomic(applied(input.dir), { approvedBy: input.approvedBy, appliedAt: new Date().toISOString() }) };
    }),
  },
  invariants: {
    awaitingApproval: ({ input }) => (existsSync(prepared(input.dir)) ? [] : [\`\${prepared(input.dir)} should exist once prepared\`]),
    done: ({ input }) => (existsSync(applied(input.dir)) ? [] : [\`\${applied(input.dir)} should exist once applied\`]),
    rejected: ({ input }) => (existsSync(applied(input.dir)) ? [\`\${applied(input.dir)} exists, but the change was rejected\`] : []),
  },
  // \`lifecycle run\` without --input: a fresh temp folder.
  sandboxInput: async (dir) => ({ dir }),
});
`;
}

export function catalogueSource(n: LifecycleNames, refs: TemplateRefs): string {
  const catalogue = {
    $schema: refs.schema,
    inputs: [{ dir: `/tmp/${n.name}` }],
    events: { APPROVE: [{ by: 'ops' }, { by: '' }], REJECT: [{ reason: 'not now' }] },
    services: {
      prepare: { done: [{ file: `/tmp/${n.name}/prepared.json` }], error: [{ message: 'no space left on device', kind: 'ENOSPC' }] },
      apply: { done: [{ file: `/tmp/${n.name}/applied.json` }], error: [{ message: 'no space left on device', kind: 'ENOSPC' }] },
    },
  };
  return `${JSON.stringify(catalogue, null, 2)}\n`;
}
