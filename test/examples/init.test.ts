/**
 * `lifecycle init` as a user runs it, each step a child process in a temp project (lifecycle-kit, xstate and vitest
 * in its node_modules): what it writes passes validate, paths at 100%, a run that waits for APPROVE and takes it
 * from `lifecycle send`, and its own generated tests through the npm script it added; it refuses to write over a
 * file (checking every target first) and refuses a name that is not one.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { background, cleanUp, lifecycle, makeProject, ok, sh, tempDir } from './project.ts';

afterAll(cleanUp);

const MACHINE = 'src/lifecycles/deploy.ts';
const TEST = 'test/lifecycles/deploy.deployMachine.paths.test.ts';

describe('lifecycle init', () => {
  it('scaffolds a lifecycle that validates, covers every transition, runs, waits for approval and passes its tests', async () => {
    const project = makeProject('lk-init-', { test: 'vitest run', 'lifecycle:docs': 'echo my own docs' });
    const init = ok(await lifecycle(['init', 'deploy'], project));
    expect(init.stderr).toBe('');
    for (const file of [MACHINE, 'src/lifecycles/deploy.services.ts', 'src/lifecycles/deploy.catalogue.json', TEST]) {
      expect(init.stdout).toContain(`wrote ${file}\n`);
      expect(existsSync(join(project, file)), file).toBe(true);
    }
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts).toEqual({ test: 'vitest run', 'lifecycle:docs': 'echo my own docs', 'lifecycle:test': 'vitest run test/lifecycles', 'lifecycle:docs:check': 'lifecycle docs --check' });
    expect(init.stdout).toContain('(kept your lifecycle:docs)');
    expect(JSON.parse(readFileSync(join(project, 'lifecycle.config.json'), 'utf8'))).toEqual({ lifecycles: [MACHINE], docs: 'docs/lifecycles' });
    const catalogue = JSON.parse(readFileSync(join(project, 'src/lifecycles/deploy.catalogue.json'), 'utf8')) as { $schema: string; events: object };
    expect(existsSync(join(project, 'src/lifecycles', catalogue.$schema))).toBe(true);
    expect(Object.keys(catalogue.events)).toContain('APPROVE');
    // Written with the step helper, importing the package by its name, as a user's project does.
    const source = readFileSync(join(project, MACHINE), 'utf8');
    expect(source).toContain("from 'lifecycle-kit/steps'");
    expect(source).toMatch(/preparing: retryingStep\(/);
    expect(readFileSync(join(project, 'src/lifecycles/deploy.services.ts'), 'utf8')).toContain("import { defineServices } from 'lifecycle-kit';");

    const validate = ok(await lifecycle(['validate', MACHINE], project));
    expect(validate.stdout).toMatch(/^deploy: valid \(0 errors, 0 warnings\)$/m);
    const paths = ok(await lifecycle(['paths', MACHINE, '--min-coverage', '100'], project));
    expect(paths.stdout).toMatch(/^transitions: (\d+)\/\1 covered$/m);
    ok(await lifecycle(['testgen', MACHINE, '-o', 'test/lifecycles', '--check'], project));

    // A sandboxed run (the services' sandboxInput) with its invariants checked; it waits for APPROVE.
    const store = join(project, '.store');
    const run = background(['run', MACHINE, '--store', store, '--verify'], project);
    await run.until(/send one with: lifecycle send --store \S+ '\{"type":"APPROVE","by":"ops"\}'/);
    expect(run.out()).toMatch(/waiting in awaitingApproval for APPROVE, REJECT\n/);
    const sandbox = /^sandbox: (.+)$/m.exec(run.out())![1];
    expect(readdirSync(sandbox)).toEqual(['prepared.json']);
    const sent = ok(await lifecycle(['send', '--store', store, '{"type":"APPROVE","by":"ana"}'], project));
    expect(sent.stdout).toBe('delivered APPROVE: awaitingApproval → applying.attempt\n');
    expect(await run.closed).toBe(0);
    expect(run.out()).toMatch(/#deployMachine: succeeded in .* \(done\)\n/);
    expect(run.err()).toBe('');

    const tests = ok(await sh('npm', ['run', '--silent', 'lifecycle:test'], project));
    expect(tests.stdout).toMatch(/Tests\s+\d+ passed/);
    expect(tests.stdout).not.toMatch(/failed|skipped/);
  });

  it('writes nothing when any target exists (the test file too), and says which one on one line', async () => {
    const project = makeProject('lk-init-taken-');
    const before = readFileSync(join(project, 'package.json'), 'utf8');
    mkdirSync(join(project, 'test/lifecycles'), { recursive: true });
    writeFileSync(join(project, TEST), '// mine\n');
    const r = await lifecycle(['init', 'deploy'], project);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`lifecycle: ${TEST} already exists: lifecycle init writes over no file; choose another name or move it away (nothing was written)\n`);
    expect(existsSync(join(project, 'src'))).toBe(false);
    expect(existsSync(join(project, 'lifecycle.config.json'))).toBe(false);
    expect(readFileSync(join(project, 'package.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(project, TEST), 'utf8')).toBe('// mine\n');

    // --dir: another folder of the project, created; a second init of the same name there is refused.
    ok(await lifecycle(['init', 'nightly-backup', '--dir', 'jobs'], project));
    expect(readFileSync(join(project, 'jobs/src/lifecycles/nightly-backup.ts'), 'utf8')).toContain('export const nightlyBackupMachine = setup(');
    const again = await lifecycle(['init', 'nightly-backup', '--dir', 'jobs'], project);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^lifecycle: jobs\/src\/lifecycles\/nightly-backup\.ts already exists: .*\n$/);
  });

  it('in a project without the packages: writes the lifecycle, and says on one line how to write its test', async () => {
    const bare = tempDir('lk-init-bare-');
    const r = await lifecycle(['init', 'deploy'], bare);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`wrote ${MACHINE}\n`);
    expect(r.stderr).toMatch(/^lifecycle: the test is not written: cannot load .*deploy\.ts: Cannot find (module|package) 'xstate'.*: install the packages it imports \(npm install -D lifecycle-kit xstate vitest\), then run 'npx lifecycle testgen src\/lifecycles\/deploy\.ts -o test\/lifecycles'\n$/);
    expect(existsSync(join(bare, 'test'))).toBe(false);
  });

  it('refuses a name that is not one as a usage error, writing nothing', async () => {
    const project = makeProject('lk-init-name-');
    const names = ['Deploy', 'my_job', 'deploy.ts'];
    const results = await Promise.all(names.map((name) => lifecycle(['init', name], project)));
    results.forEach((r, i) => {
      expect(r.code, names[i]).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^lifecycle: '${names[i].replace('.', '\\.')}' is not a lifecycle name: .*\\n$`));
    });
    expect(readdirSync(project).sort()).toEqual(['node_modules', 'package.json']);
  });
});
