/**
 * What a person running `lifecycle run preboot` needs to see, printed under a transition: where the server is,
 * what holds it, and the request that releases the interactive setup's hold.
 */
import type { PrebootContext } from '../../../machines/preboot.ts';
import { INTERACTIVE_SETUP_PREFIX, MAX_CODE_ATTEMPTS, verificationCodeOf } from './interactive-setup.ts';

export function prebootNotes({ context }: { context: PrebootContext }): string[] {
  const lines: string[] = [];
  const preboot = context.prebootServer;
  if (preboot && context.stage !== 'stop') {
    lines.push(`preboot server: ${preboot.url} (status: ${preboot.url}/api/status; app URLs wait for the main server, other routes answer 503)`);
    for (const hold of context.holds) lines.push(`holding ${hold.kind}: ${hold.reason} [${hold.id}]`);
    if (context.holds.some((h) => h.id.startsWith('interactive-setup#'))) {
      // The code lives only in this process (never in the store): a resumed run prints its new one.
      const code = verificationCodeOf(preboot.url);
      if (code) lines.push(`verification code: ${code} (one-time, ${MAX_CODE_ATTEMPTS} attempts; required with the configure request)`);
      // The host is one that listens: a sandbox has no Elasticsearch (a fixed :9200 was refused), and the
      // verification takes any HTTP answer, so the preboot server's own address stands in; the request works as
      // printed. Against a real cluster, put its URL there.
      const body = JSON.stringify({ code: code ?? '<verification code>', host: preboot.url, username: 'kibana_system', password: '…' });
      lines.push(`to configure: curl -X POST -H 'content-type: application/json' -d '${body}' ${preboot.url}${INTERACTIVE_SETUP_PREFIX}/configure`);
    }
  }
  if (context.mainServer && context.stage === 'running') {
    lines.push(`main server: ${context.mainServer.url} (Ctrl-C stops it: STOP, then every socket released)`);
  }
  return lines;
}
