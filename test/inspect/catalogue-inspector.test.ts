/**
 * Issue 15 on the inspector, without a browser: a user's machine (typed setup, a payload guard, a service output an
 * assign reads) starts from its catalogue's input, is offered its payloads and outputs, is not killed by a bare
 * event, and shows failed when it fails; `attachInspector({ send })` lets a runtime take the page's events;
 * issue 11: the pictures the page draws have steps collapsed and the active one open.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assign, createActor, setup, type EventObject } from 'xstate';
import { installMachine } from '../../machines/install.ts';
import { attachInspector } from '../../src/inspect/attach.ts';
import { buildGraphView } from '../../src/inspect/graph-view.ts';
import { createPictureSet, MAX_PICTURES_PER_GRAPH } from '../../src/inspect/pictures.ts';
import { inspectorSamples } from '../../src/inspect/samples.ts';
import { startInspectSession, type InspectSession } from '../../src/inspect/session.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { deployMachine, deployMachineCatalogue } from './fixtures/deploy.ts';
import { openPage, type PageSocket } from './page-socket.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function deploy(options: Partial<Parameters<typeof startInspectSession>[0]> = {}): Promise<{ session: InspectSession; page: PageSocket }> {
  const session = await startInspectSession({ machine: deployMachine, fakeServices: true, samples: deployMachineCatalogue, ...options });
  open.push(session);
  const page = await openPage(session.server.wsUrl);
  open.push({ close: () => page.ws.close() });
  await page.next('init');
  return { session, page };
}

/** The newest snapshot entry of the controlled actor. */
const lastSnapshot = (page: PageSocket) => page.entries().filter((e) => e.kind === 'snapshot' && e.actor === page.control()?.actor).pop();

describe('the catalogue on the page', () => {
  it("starts from the catalogue's input and suggests its outputs and errors, never null", async () => {
    const { session, page } = await deploy();
    expect(session.actor.getSnapshot().status).toBe('active');
    expect(session.actor.getSnapshot().context).toMatchObject({ env: 'staging', version: '1.4.0' });
    await expect.poll(() => page.control()?.pending.length).toBe(1);
    const build = page.control()!.pending[0]!;
    expect(build.src).toBe('build');
    expect(JSON.parse(build.outputs[0]!)).toEqual({ artifacts: ['app.tar', 'app.sbom'] });
    expect(build.errors).toEqual([{ message: 'compiler crashed', kind: 'build-error' }]);
  });

  it('a service the catalogue says nothing of suggests {}, and one without output resolves with none', async () => {
    const { page } = await deploy({ samples: { input: { env: 'prod', version: '2.0.0' } } });
    await expect.poll(() => page.control()?.pending[0]?.outputs).toEqual(['{}']);
    expect(page.control()!.pending[0]!.errors).toEqual([{ message: 'build failed' }]);
    // The CLI's samples of a void service: `done: [undefined]` is the empty text, resolved without an output.
    const samples = inspectorSamples({ services: { ship: { done: [undefined] } } });
    expect(samples.outputs.ship).toEqual([undefined]);
  });

  it("offers APPROVE's payloads with what its guard says now; a bare APPROVE is refused, not sent to kill the actor", async () => {
    const { session, page } = await deploy();
    const build = await expect.poll(() => page.control()?.pending[0]).toBeDefined().then(() => page.control()!.pending[0]!);
    expect((await page.command({ type: 'resolve', service: build.id, output: JSON.parse(build.outputs[0]!) })).ok).toBe(true);
    await expect.poll(() => page.control()?.accepts.map((a) => a.type)).toEqual(['APPROVE', 'CANCEL']);
    const approve = page.control()!.accepts[0]!;
    expect(approve.samples).toEqual([
      { event: { type: 'APPROVE', by: { name: 'ana', role: 'ops' } }, enabled: true },
      { event: { type: 'APPROVE', by: { name: 'dev', role: 'dev' } }, enabled: false },
    ]);
    const actor = page.control()!.actor!;

    const bare = await page.command({ type: 'send', actor, event: { type: 'APPROVE' } });
    expect(bare.ok).toBe(false);
    expect(bare.message).toMatch(/^'APPROVE' was not sent: the machine throws on it \(.*guard 'byOps'.*reading 'role'.*\), which would stop the actor/);
    expect(session.actor.getSnapshot().status).toBe('active');
    expect(page.entries().some((e) => e.kind === 'refused' && e.event.type === 'APPROVE')).toBe(true);

    expect((await page.command({ type: 'send', actor, event: approve.samples![0]!.event })).ok).toBe(true);
    expect(session.actor.getSnapshot().value).toEqual({ shipping: 'attempt' });
    expect(session.actor.getSnapshot().context.approver).toBe('ana');
  });

  it('bad commands from the page are refused with a message and the server answers on', async () => {
    const { session, page } = await deploy();
    await expect.poll(() => page.control()?.pending.length).toBe(1);
    await page.command({ type: 'resolve', service: page.control()!.pending[0]!.id, output: { artifacts: [] } });
    await expect.poll(() => page.control()?.accepts.length).toBe(2);
    const actor = page.control()!.actor!;
    expect((await page.command('{"type": "send", "actor": ')).message).toBe('command is not JSON');
    expect((await page.command({ type: 'send', actor, event: ['APPROVE'] })).message).toMatch(/an object with a string type/);
    expect((await page.command({ type: 'send', actor, event: { type: 'APPROVE', by: null } })).message).toMatch(/throws on it/);
    expect(session.actor.getSnapshot().status).toBe('active');
  });
});

describe('an actor that fails is shown failed, with its error', () => {
  it('a machine that cannot read its input fails at once: its snapshot says error, with the message', async () => {
    const { page } = await deploy({ samples: undefined });
    await expect.poll(() => page.control()?.status).toBe('error');
    expect(page.control()!.error).toMatch(/reading 'env'/);
    await expect.poll(() => lastSnapshot(page)?.snapshot?.status).toBe('error');
    expect(lastSnapshot(page)!.error).toMatch(/reading 'env'/);
  });

  it('an assign that throws on a service output (XState inspects no snapshot for it) is recorded as the failure it is', async () => {
    const { session, page } = await deploy();
    await expect.poll(() => page.control()?.pending.length).toBe(1);
    const build = page.control()!.pending[0]!;
    expect((await page.command({ type: 'resolve', service: build.id, output: {} })).ok).toBe(true);
    expect(session.actor.getSnapshot().status).toBe('error');
    await expect.poll(() => lastSnapshot(page)?.snapshot?.status).toBe('error');
    const failed = lastSnapshot(page)!;
    expect(failed.error).toMatch(/reading 'length'/);
    expect(failed.event.type).toMatch(/^xstate\.done\.actor\./); // the event that killed it
    expect(failed.taken).toEqual([]);
    expect(page.control()).toMatchObject({ status: 'error', accepts: [] });
  });
});

describe('lifecycle inspect <user machine>', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-inspect-catalogue-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds the module's catalogue, or takes --catalogue file.json with --no-infer", async () => {
    const run = async (args: string[]) => {
      const child = spawn(process.execPath, ['bin/lifecycle.js', 'inspect', 'test/inspect/fixtures/deploy.ts#deployMachine', '--fake-services', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      try {
        await expect.poll(() => stdout + stderr, { timeout: 30_000 }).toMatch(/attach: createWebSocketInspector\(\{ url: '(ws:\S+)' \}\)|error/);
        const page = await openPage(/url: '(ws:\S+)'/.exec(stdout)![1]!);
        // A child process on a busy machine: give its first snapshots time.
        await expect.poll(() => page.control()?.pending.length, { timeout: 15_000 }).toBe(1);
        // The control state is read from the actor, the entries come over the inspection socket: either may be first.
        const context = () => page.entries().find((e) => e.kind === 'snapshot' && e.actor === page.control()?.actor)?.snapshot?.context;
        await expect.poll(context, { timeout: 15_000 }).toBeDefined();
        page.ws.close();
        return { context: context(), control: page.control()!, stderr };
      } finally {
        child.kill('SIGINT');
        await once(child, 'exit');
      }
    };
    const found = await run([]);
    expect(found.stderr).not.toMatch(/failed/);
    expect(found.context).toMatchObject({ env: 'staging' });
    expect(JSON.parse(found.control.pending[0]!.outputs[0]!)).toEqual({ artifacts: ['app.tar', 'app.sbom'] });

    const file = join(dir, 'deploy.catalogue.json');
    writeFileSync(file, JSON.stringify({ inputs: [{ env: 'prod', version: '3.0.0' }], services: { build: { done: [{ artifacts: [] }] } } }));
    const given = await run(['--catalogue', file, '--no-infer']);
    expect(given.context).toMatchObject({ env: 'prod', version: '3.0.0' });
    expect(given.control.pending[0]!.outputs).toEqual([JSON.stringify({ artifacts: [] }, null, 2)]);
  }, 60_000);
});

describe('attachInspector({ send }): the page drives a run through the runtime', () => {
  const door = setup({
    types: { events: {} as { type: 'OPEN'; code: number } | { type: 'CLOSE' } },
    guards: { rightCode: ({ event }) => (event as { code: number }).code.toFixed() === '42' },
  }).createMachine({
    id: 'door',
    initial: 'closed',
    states: { closed: { on: { OPEN: { guard: 'rightCode', target: 'open' } } }, open: { on: { CLOSE: 'closed' } } },
  });

  it('checks the event against the run, then hands it to send; a string or a throw from send is a refusal', async () => {
    const got: EventObject[] = [];
    let answer: () => void | string = () => undefined;
    let actor = createActor(door);
    const inspector = await attachInspector({
      machine: door,
      samples: { events: { OPEN: [{ code: 42 }, { code: 7 }] } },
      send: (event) => {
        got.push(event);
        const refused = answer();
        if (refused === undefined) actor.send(event as never);
        return refused;
      },
    });
    open.push(inspector);
    const page = await openPage(inspector.wsUrl);
    open.push({ close: () => page.ws.close() });
    expect((await page.next('init')).control).toMatchObject({ drives: 'run', accepts: [] }); // no actor reported yet
    actor = createActor(door, { inspect: inspector.inspect }).start();
    await expect.poll(() => page.control()?.accepts.map((a) => a.type)).toEqual(['OPEN']);
    const first = page.control()!.actor!;
    expect(page.control()!.accepts[0]!.samples!.map((s) => s.enabled)).toEqual([true, false]);

    expect((await page.command({ type: 'send', actor: first, event: { type: 'CLOSE' } })).message).toMatch(/not accepted in closed/);
    expect((await page.command({ type: 'send', actor: first, event: { type: 'OPEN' } })).message).toMatch(/throws on it/);
    expect(got).toEqual([]); // refused before the runtime saw them

    answer = () => 'the run is saving a snapshot: try again';
    expect(await page.command({ type: 'send', actor: first, event: { type: 'OPEN', code: 42 } })).toMatchObject({ ok: false, message: 'the run is saving a snapshot: try again' });
    answer = () => {
      throw new Error('journal is read-only');
    };
    expect((await page.command({ type: 'send', actor: first, event: { type: 'OPEN', code: 42 } })).message).toBe('the run did not take OPEN: journal is read-only');
    answer = () => undefined;
    expect(await page.command({ type: 'send', actor: first, event: { type: 'OPEN', code: 42 } })).toMatchObject({ ok: true, message: 'sent OPEN' });
    expect(actor.getSnapshot().value).toBe('open');
    expect(got).toHaveLength(3);
    await expect.poll(() => page.control()?.accepts.map((a) => a.type)).toEqual(['CLOSE']);

    // A resumed run is a new actor: the page drives the newest one.
    actor.stop();
    actor = createActor(door, { inspect: inspector.inspect }).start();
    await expect.poll(() => page.control()?.actor).not.toBe(first);
    expect(page.control()!.accepts.map((a) => a.type)).toEqual(['OPEN']);
    expect((await page.command({ type: 'send', actor: first, event: { type: 'OPEN', code: 42 } })).message).toMatch(/only the inspected actor/);
  });

  it('send needs the machine', async () => {
    await expect(attachInspector({ send: () => undefined })).rejects.toThrow(/needs the machine/);
  });
});

describe('pictures: steps collapsed as in `lifecycle diagram`, the active one open', () => {
  const graph = extractGraph(installMachine);

  it("the graph's own picture collapses every step; its arrows stand for machine transitions", () => {
    const view = buildGraphView(graph);
    expect(Object.keys(view.collapsed)).toHaveLength(6);
    expect(view.collapsed['install.installing.kibana_assets']).toMatch(/^↻/);
    const ids = new Set(graph.transitions.map((t) => t.id));
    for (const members of Object.values(view.members)) for (const id of members) expect(ids.has(id)).toBe(true);
    expect(Object.keys(view.edges)).toEqual(Object.keys(view.members));
  });

  it('a snapshot in a step is drawn with that step open; the pictures are bounded', () => {
    const steps = graph.states.filter((s) => s.step).map((s) => s.id);
    const set = createPictureSet('machine', graph);
    expect(set.forActive(['install', 'install.checkingPreconditions'])).toBeUndefined();
    const kibana = set.forActive(['install', 'install.installing', steps[0]!, `${steps[0]}.running`])!;
    expect(kibana.built!.expanded).toEqual([steps[0]]);
    expect(kibana.built!.collapsed[steps[0]!]).toBeUndefined();
    expect(Object.keys(kibana.built!.collapsed)).toHaveLength(5);
    expect(set.forActive(['install', 'install.installing', steps[0]!, `${steps[0]}.retrying`])).toEqual({ key: kibana.key });
    // Every combination of the six steps: past the bound, one picture with everything open.
    const keys = new Set<string>();
    for (let mask = 1; mask < 64; mask++) keys.add(set.forActive(steps.filter((_, i) => mask & (1 << i)))!.key);
    expect(keys.size).toBe(MAX_PICTURES_PER_GRAPH + 1);
  });

  it('the server names the picture of every snapshot; the page gets each picture once', async () => {
    const { session, page } = await deploy();
    await expect.poll(() => page.control()?.pending.length).toBe(1);
    await page.command({ type: 'resolve', service: page.control()!.pending[0]!.id, output: { artifacts: ['a'] } });
    await expect.poll(() => page.control()?.accepts.length).toBe(2);
    expect(page.entries().filter((e) => e.kind === 'snapshot').every((e) => e.picture === undefined)).toBe(true);
    await page.command({ type: 'send', actor: page.control()!.actor, event: { type: 'APPROVE', by: { name: 'ana', role: 'ops' } } });
    await expect.poll(() => lastSnapshot(page)?.picture).toBeDefined();
    const key = lastSnapshot(page)!.picture!;
    expect(page.pictures()[key].expanded).toEqual(['deploy.shipping']);
    expect(page.messages.filter((m) => m.type === 'picture')).toHaveLength(1);
    expect(session.server.stats().graphs).toBe(1);
  });
});
