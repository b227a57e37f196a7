/**
 * The worked example (examples/deploy) as a user runs it, in a temp project holding a copy of it: a diagram, validate,
 * a run in the background that waits for approval, `lifecycle send`, a kill -9 while publish is being retried (a
 * lock another deploy holds), `lifecycle resume` once the lock is gone, the files it served, the generated suite
 * (its sandboxed path on the real services) run by vitest with coverage recorded, `coverage` from that recording,
 * and `docs --check` against the pages committed in the example.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { background, cleanUp, lifecycle, makeProject, ok, ROOT, sh, tempDir } from './project.ts';

afterAll(cleanUp);

const MACHINE = 'src/deploy.ts';

describe('examples/deploy, end to end', () => {
  it('draws, validates, runs, takes the approval, survives kill -9 in publish, resumes, tests, measures and checks its docs', async () => {
    const project = makeProject('lk-deploy-');
    for (const entry of ['src', 'docs', 'lifecycle.config.json', 'README.md']) cpSync(join(ROOT, 'examples/deploy', entry), join(project, entry), { recursive: true });
    const pictures = tempDir('lk-deploy-svg-');
    ok(await lifecycle(['diagram', MACHINE, '-f', 'svg', '-o', join(pictures, 'deploy.svg')], project));
    expect(readFileSync(join(pictures, 'deploy.svg'), 'utf8')).toMatch(/<svg[\s\S]*awaitingApproval[\s\S]*<\/svg>\s*$/);
    expect(ok(await lifecycle(['validate', MACHINE], project)).stdout).toMatch(/^deploy: valid \(0 errors, 0 warnings\)$/m);

    // The site to deploy, and an input with relative folders (the services make them absolute for a resume).
    mkdirSync(join(project, 'site/assets'), { recursive: true });
    writeFileSync(join(project, 'site/index.html'), '<!doctype html><title>shop 2.1</title>\n');
    writeFileSync(join(project, 'site/assets/app.js'), 'console.log("2.1.0");\n');
    writeFileSync(join(project, 'deploy.json'), JSON.stringify({ source: 'site', work: 'work', releases: 'www', version: '2.1.0' }));
    const store = join(tempDir('lk-deploy-store-'), 'store');
    const run = background(['run', MACHINE, '--input', 'deploy.json', '--store', store, '--verify'], project);
    await run.until(/send one with: lifecycle send --store \S+ '\{"type":"APPROVE",.*\}'\n/);
    expect(run.out()).toMatch(/building\.attempt → awaitingApproval\n {2}waiting in awaitingApproval for APPROVE, REJECT\n/);
    expect(JSON.parse(readFileSync(join(project, 'work/build/2.1.0/manifest.json'), 'utf8'))).toEqual({ 'assets/app.js': expect.any(String), 'index.html': expect.any(String) });

    // Another deploy holds the release area: publish fails with kind 'locked' and is retried with backoff.
    mkdirSync(join(project, 'www'));
    writeFileSync(join(project, 'www/.publish-lock'), 'bob, deploying 2.0.9\n');
    const sent = ok(await lifecycle(['send', '--store', store, '{"type":"APPROVE","by":"ana","ticket":"CHG-7"}'], project));
    expect(sent.stdout).toBe('delivered APPROVE: awaitingApproval → publishing.attempt\n');
    await run.until(/publishing\.attempt → publishing\.backoff {2}\(publish attempt 1 failed: \S+www is locked by another deploy \(bob, deploying 2\.0\.9\)\)\n/);
    run.child.kill('SIGKILL');
    expect(await run.closed).toBe(null);
    const status = ok(await lifecycle(['status', '--store', store], project)).stdout;
    expect(status).toMatch(/^state\s+publishing\.(backoff|attempt)$/m);
    expect(status).toMatch(/^step\s+publish \(attempt \d\)$/m);
    expect(status).toMatch(/^last error\s+publish attempt \d \[locked\]/m);
    expect(existsSync(join(project, 'www/current'))).toBe(false);

    rmSync(join(project, 'www/.publish-lock'));
    const resumed = ok(await lifecycle(['resume', '--store', store, '--verify'], project));
    expect(resumed.stdout).toMatch(/publishing\.attempt → verifying\.attempt\n[\s\S]*verifying\.attempt → released\n {2}serving \S+www\/current → 2\.1\.0 \(approved by ana\)\n/);
    expect(resumed.stdout).toMatch(/#deployMachine: succeeded in .* \(released\)\n/);
    expect(readlinkSync(join(project, 'www/current'))).toBe('2.1.0');
    expect(readFileSync(join(project, 'www/current/index.html'), 'utf8')).toBe('<!doctype html><title>shop 2.1</title>\n');
    expect(readdirSync(join(project, 'www')).sort()).toEqual(['2.1.0', 'current']); // no temp tree or link left
    expect(lstatSync(join(project, 'www/current')).isSymbolicLink()).toBe(true);

    // The generated suite finds the services beside the machine: its paths run them in a sandbox.
    const tests = ok(await lifecycle(['testgen', MACHINE, '-o', 'test/generated'], project));
    expect(tests.stdout).toMatch(/^transitions: (\d+)\/\1 covered$/m);
    const suite = readFileSync(join(project, 'test/generated/deploy.deployMachine.paths.test.ts'), 'utf8');
    expect(suite).toContain('import { services } from "../../src/deploy.services.ts";');
    expect(suite).toMatch(/\{ sandbox: true[,}]/);
    const recording = tempDir('lk-deploy-cov-');
    const vitest = ok(await sh('vitest', ['run', 'test/generated'], project, { LIFECYCLE_COVERAGE_DIR: recording }));
    expect(vitest.stdout).toMatch(/Tests\s+\d+ passed/);
    const coverage = ok(await lifecycle(['coverage', MACHINE, '--from', recording, '--min-coverage', '100'], project));
    expect(coverage.stdout).toMatch(/^deploy \(measured: 1 coverage file in .*\): transitions (\d+)\/\1 taken \(100%\)$/m);
    // Every step of every path ran against the real services: the example's faults break the sandbox for each failure.
    expect(coverage.stdout).toMatch(/^steps against the real services: (\d+)\/\1 \(100%\)$/m);
    expect(ok(await lifecycle(['coverage', MACHINE, '--journal', store], project)).stdout).toMatch(/transitions \d+\/\d+ taken/);

    expect(ok(await lifecycle(['docs', '--check'], project)).stdout).toBe('docs are fresh (5 files in docs)\n');
  });
});
