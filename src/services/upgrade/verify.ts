/** Verifying the downloaded artifact against the expected sha256. */
import type { VerifyInput, VerifyOutput } from '../../../machines/upgrade.ts';
import { serviceError, sha256File } from '../install/fs.ts';

/** Resolves with the digest when it matches; rejects with kind `checksum-mismatch` when it does not. */
export async function verifyChecksum(input: VerifyInput): Promise<VerifyOutput> {
  const expected = input.sha256.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected))
    throw serviceError('invalid-checksum', `expected sha256 "${input.sha256}" is not 64 hexadecimal digits`);
  let actual: string;
  try {
    actual = await sha256File(input.artifactPath);
  } catch (error) {
    throw serviceError('ENOENT', `cannot read the artifact ${input.artifactPath}: ${(error as Error).message}`);
  }
  if (actual !== expected)
    throw serviceError('checksum-mismatch', `artifact ${input.artifactPath} has sha256 ${actual}, expected ${expected}: it is corrupt or not the artifact that was asked for`);
  return { sha256: actual };
}
