// The `curl` printed under a preboot run waiting for interactive setup works as printed: its URL and the host in
// its body are addresses that listen (the body's host used to be a fixed :9200 nothing served, so it failed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, waitFor } from 'xstate';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { prebootMachine, type PrebootContext } from '../../machines/preboot.ts';
import { httpRequest, prebootServices, releaseAll } from '../../src/services/preboot/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-preboot-curl-'));
});
afterEach(async () => {
  await releaseAll();
  await rm(dir, { recursive: true, force: true });
});

it('the printed configure request is accepted as printed, and the run leaves preboot', async () => {
  const input = await prebootServices.sandboxInput(dir);
  const actor = createActor(prebootMachine.provide({ actors: prebootServices.actors } as never), { input });
  actor.start();
  try {
    const waiting = await waitFor(actor, (s) => s.matches({ preboot: 'awaitingSetupHolds' }), { timeout: 10_000 });
    const context = waiting.context as PrebootContext;
    const curl = prebootServices.notes!({ context, value: waiting.value }).find((l) => l.startsWith('to configure: curl'))!;
    const [, body, url] = /-d '(.*)' (\S+)$/.exec(curl)!;
    expect(url).toBe(`http://127.0.0.1:${context.prebootServer!.port}/internal/interactive_setup/configure`);
    expect(JSON.parse(body!).host).toBe(`http://127.0.0.1:${context.prebootServer!.port}`);
    const answer = await httpRequest('POST', url!, { body: JSON.parse(body!) });
    expect(answer).toMatchObject({ status: 200 });
    await waitFor(actor, (s) => s.matches('running'), { timeout: 10_000 });
  } finally {
    actor.send({ type: 'STOP' });
    actor.stop();
  }
});
