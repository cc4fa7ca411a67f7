import { describe, expect, it } from 'vitest';
import { loadS3Credentials, parseCredentialsFile } from './s3-credentials.js';
import { defaultConfig } from './strata-config.js';

describe('S3 credentials', () => {
  it('reads every [[credentials]] table', () => {
    const text = '[[credentials]]\naccess_key_id = "admin"\nsecret_access_key = "s3cr3t-key"\n\n[[credentials]]\naccess_key_id = "app.1"\nsecret_access_key = "another-secret"\n';
    expect(parseCredentialsFile(text, 'credentials.toml')).toEqual([
      { accessKeyId: 'admin', secretAccessKey: 's3cr3t-key' },
      { accessKeyId: 'app.1', secretAccessKey: 'another-secret' },
    ]);
  });

  it.each([
    ['', 'credentials.toml: credentials: expected one or more [[credentials]] tables'],
    ['[[credentials]]\naccess_key_id = "admin"', 'credentials.toml: credentials[0]: needs access_key_id and secret_access_key strings'],
    ['[[credentials]]\naccess_key_id = "a b"\nsecret_access_key = "longenough"', "credentials.toml: credentials[0].access_key_id: expected 3-128 letters, digits, '_', '-' or '.', got \"a b\""],
    ['[[credentials]]\naccess_key_id = "admin"\nsecret_access_key = "short"', 'credentials.toml: credentials[0].access_key_id: the secret access key must be at least 8 characters'],
    ['[[credentials]]\naccess_key_id = "admin"\nsecret_access_key = "longenough"\nrole = "x"', 'credentials.toml: credentials[0].role: unknown key'],
  ])('refuses %j with one line naming the entry', (text, message) => {
    expect(() => parseCredentialsFile(text, 'credentials.toml')).toThrow(message);
  });

  it('falls back to the environment, and refuses to run with no keys at all', async () => {
    const env = { STRATA_S3_ACCESS_KEY_ID: 'envkey', STRATA_S3_SECRET_ACCESS_KEY: 'env-secret-1' };
    await expect(loadS3Credentials(defaultConfig(), env)).resolves.toEqual([{ accessKeyId: 'envkey', secretAccessKey: 'env-secret-1' }]);
    await expect(loadS3Credentials(defaultConfig(), {})).rejects.toThrow(/no S3 access keys/);
    const missingFile = { ...defaultConfig(), s3: { ...defaultConfig().s3, credentialsFile: '/nonexistent/creds.toml' } };
    await expect(loadS3Credentials(missingFile, env)).rejects.toThrow('s3.credentials_file: cannot read /nonexistent/creds.toml (ENOENT)');
  });
});
