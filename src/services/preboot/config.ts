/**
 * The server's configuration file: JSON, read at preboot and again when a hold asks for a reload, written
 * atomically by the interactive setup. A missing file reads as `{}` (a first launch: nothing configured yet).
 */
import { readFile } from 'node:fs/promises';
import type { ConfigInput, ConfigOutput, PrebootConfig } from '../../../machines/preboot.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { serviceError } from '../install/fs.ts';

/** The Elasticsearch connection the interactive setup writes (the part of the config this toolkit reads). */
export interface ElasticsearchConfig {
  hosts: string[];
  username?: string;
  password?: string;
}

/** Reads and parses the config; a missing file is `{}`; anything but a JSON object is `invalid-config`. */
export async function readConfig(configPath: string): Promise<PrebootConfig> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw serviceError('invalid-config', `config ${configPath} is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw serviceError('invalid-config', `config ${configPath} must hold a JSON object, found ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
  }
  return parsed as PrebootConfig;
}

/** Writes the config atomically (temp file, fsync, rename). */
export function writeConfig(configPath: string, config: PrebootConfig): void {
  writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`);
}

/** The configured Elasticsearch connection, or null when there is none (the interactive setup is then needed). */
export function elasticsearchOf(config: PrebootConfig): ElasticsearchConfig | null {
  const es = config.elasticsearch as Partial<ElasticsearchConfig> | undefined;
  if (!es || typeof es !== 'object' || !Array.isArray(es.hosts) || es.hosts.length === 0) return null;
  return es.hosts.every((h) => typeof h === 'string') ? (es as ElasticsearchConfig) : null;
}

/** The `loadConfig` / `reloadConfig` service. */
export async function loadConfig(input: ConfigInput): Promise<ConfigOutput> {
  return { config: await readConfig(input.configPath) };
}
