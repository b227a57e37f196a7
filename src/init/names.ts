/** The names `lifecycle init <name>` derives: files, the machine's export and id, and its input type. */
import { UserError } from '../errors.ts';

export interface LifecycleNames {
  /** As given: the file stem (`deploy-app.ts`) and the machine's id. */
  name: string;
  /** `deployApp`: the export is `deployAppMachine`, the services `services`. */
  camel: string;
  /** `DeployApp`: the input, context and event types. */
  pascal: string;
  machineExport: string;
}

// kebab-case or camelCase, starting with a letter: a file name, an XState id and (camelCased) a JS identifier at once.
const NAME = /^[a-z][a-zA-Z0-9]*(-[a-z0-9][a-zA-Z0-9]*)*$/;

/** Checks `name` (a usage error, exit 2, otherwise) and derives the others from it. */
export function lifecycleNames(name: string): LifecycleNames {
  if (!NAME.test(name)) {
    throw new UserError(`'${name}' is not a lifecycle name: use letters and digits in kebab-case or camelCase, starting with a lower-case letter (e.g. deploy, nightly-backup, syncJobs)`, 2);
  }
  const camel = name.replace(/-([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  const pascal = camel[0].toUpperCase() + camel.slice(1);
  return { name, camel, pascal, machineExport: `${camel}Machine` };
}
