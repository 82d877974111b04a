/**
 * The capability checks `plan` runs before any effect, as pure table tests: AWS at two active
 * keys, an inactive second AWS key and --delete-inactive, GCP at ten keys, Azure with both slots
 * held, a missing permission named, a bring-your-own provider asked to issue.
 */
import { describe, expect, it } from 'vitest';
import {
  awsCapabilities,
  azureCapabilities,
  gcpCapabilities,
  manualCapabilities,
  operationsFor,
  preflight,
  type Inspection,
  type KeyInfo,
  type Preflight,
  type PreflightRequest,
  type Principal,
  type ProviderCapabilities,
} from '../../src/providers/index.js';

const awsUser: Principal = {
  provider: 'aws',
  id: 'arn:aws:iam::123456789012:user/kubecost',
  name: 'kubecost',
  account: '123456789012',
};
const serviceAccount: Principal = {
  provider: 'gcp',
  id: 'kubecost@acme.iam.gserviceaccount.com',
  name: 'kubecost@acme.iam.gserviceaccount.com',
  account: 'acme',
};
const storageAccount: Principal = {
  provider: 'azure',
  id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acme',
  name: 'acme',
};

const key = (principal: Principal, keyId: string, status: KeyInfo['status'] = 'active'): KeyInfo => ({
  ref: { principal, keyId },
  status,
  createdAt: '2026-01-15T10:00:00.000Z',
});

function inspection(
  principal: Principal,
  keys: KeyInfo[],
  held: string[],
  missing: string[] = [],
  unchecked: string[] = [],
): Inspection {
  return {
    principal,
    keys,
    holders: held.map((keyId, i) => ({ site: `site-${i}`, keyId })),
    permissions: { how: 'the test', granted: [], missing, unchecked },
    inspectedAt: '2026-12-01T00:00:00.000Z',
  };
}

const rotate = (replacing: string, tweak: Partial<PreflightRequest> = {}): PreflightRequest => ({
  issue: true,
  retire: 'deactivate',
  deleteInactive: false,
  replacing,
  ...tweak,
});

const refusalsOf = (plan: Preflight) => (plan.ok ? [] : plan.refusals);

const cases: Record<
  string,
  {
    capabilities: ProviderCapabilities;
    inspection: Inspection;
    request: PreflightRequest;
    expect(plan: Preflight): void;
  }
> = {
  'accepts an AWS user with one key: the new key takes the second slot': {
    capabilities: awsCapabilities(),
    inspection: inspection(awsUser, [key(awsUser, 'AKIAOLD')], ['AKIAOLD']),
    request: rotate('AKIAOLD'),
    expect: (plan) => expect(plan).toMatchObject({ ok: true, steps: [] }),
  },
  'refuses an AWS user at two active keys, and never offers to delete an active one': {
    capabilities: awsCapabilities(),
    inspection: inspection(awsUser, [key(awsUser, 'AKIAOLD'), key(awsUser, 'AKIAOTHER')], ['AKIAOLD']),
    request: rotate('AKIAOLD', { deleteInactive: true }),
    expect: (plan) => {
      const [refusal] = refusalsOf(plan);
      expect(refusal).toMatchObject({ kind: 'limit_reached', keyIds: ['AKIAOLD', 'AKIAOTHER'] });
      expect(refusal?.message).toMatch(
        /kubecost already has 2 active keys .*AKIAOLD \(active, created 2026-01-15\).*the limit of 2 keys per IAM user/,
      );
      expect(refusal?.remedy).toMatch(/the sites hold AKIAOLD/);
      expect(refusal?.remedy).not.toMatch(/--delete-inactive/);
    },
  },
  'refuses an AWS user whose inactive second key takes the slot, offering --delete-inactive': {
    capabilities: awsCapabilities(),
    inspection: inspection(awsUser, [key(awsUser, 'AKIAOLD'), key(awsUser, 'AKIASTALE', 'inactive')], ['AKIAOLD']),
    request: rotate('AKIAOLD'),
    expect: (plan) => {
      const [refusal] = refusalsOf(plan);
      expect(refusal).toMatchObject({ kind: 'limit_reached', keyIds: ['AKIASTALE'] });
      expect(refusal?.message).toMatch(/the inactive AKIASTALE still takes a slot/);
      expect(refusal?.remedy).toMatch(/Pass --delete-inactive to delete it before the new key is issued/);
    },
  },
  'with --delete-inactive, plans the inactive AWS key away before issuing': {
    capabilities: awsCapabilities(),
    inspection: inspection(awsUser, [key(awsUser, 'AKIAOLD'), key(awsUser, 'AKIASTALE', 'inactive')], ['AKIAOLD']),
    request: rotate('AKIAOLD', { deleteInactive: true }),
    expect: (plan) =>
      expect(plan).toMatchObject({ ok: true, steps: [{ kind: 'delete-inactive', ref: { keyId: 'AKIASTALE' } }] }),
  },
  'never plans away an inactive key that a site still holds': {
    capabilities: awsCapabilities(),
    inspection: inspection(
      awsUser,
      [key(awsUser, 'AKIAOLD'), key(awsUser, 'AKIASTALE', 'inactive')],
      ['AKIAOLD', 'AKIASTALE'],
    ),
    request: rotate('AKIAOLD', { deleteInactive: true }),
    expect: (plan) => expect(refusalsOf(plan)[0]).toMatchObject({ kind: 'limit_reached' }),
  },
  'refuses a GCP service account at ten keys, disabled ones included': {
    capabilities: gcpCapabilities,
    inspection: inspection(
      serviceAccount,
      Array.from({ length: 10 }, (_, i) => key(serviceAccount, `k${i}`, i === 9 ? 'inactive' : 'active')),
      ['k0'],
    ),
    request: rotate('k0'),
    expect: (plan) => {
      const [refusal] = refusalsOf(plan);
      expect(refusal).toMatchObject({ kind: 'limit_reached', keyIds: ['k9'] });
      expect(refusal?.message).toMatch(/already has 10 keys .* the limit of 10 keys per service account/);
    },
  },
  'accepts a GCP service account at nine keys': {
    capabilities: gcpCapabilities,
    inspection: inspection(
      serviceAccount,
      Array.from({ length: 9 }, (_, i) => key(serviceAccount, `k${i}`)),
      ['k0'],
    ),
    request: rotate('k0'),
    expect: (plan) => expect(plan.ok).toBe(true),
  },
  'refuses a missing permission, naming it and how it was checked': {
    capabilities: awsCapabilities(),
    inspection: inspection(awsUser, [key(awsUser, 'AKIAOLD')], ['AKIAOLD'], ['iam:CreateAccessKey']),
    request: rotate('AKIAOLD'),
    expect: (plan) => {
      const [refusal] = refusalsOf(plan);
      expect(refusal).toMatchObject({ kind: 'permission_missing', permission: 'iam:CreateAccessKey' });
      expect(refusal?.message).toMatch(/lacks iam:CreateAccessKey \(checked with the test\)/);
      expect(refusal?.remedy).toMatch(/Grant iam:CreateAccessKey on arn:aws:iam::123456789012:user\/kubecost/);
    },
  },
  'ignores a missing permission the rotation does not need (no delete with --retire deactivate and no --issue)': {
    capabilities: awsCapabilities(),
    inspection: inspection(
      awsUser,
      [key(awsUser, 'AKIAOLD')],
      ['AKIAOLD'],
      ['iam:DeleteAccessKey', 'iam:CreateAccessKey'],
    ),
    request: rotate('AKIAOLD', { issue: false }),
    expect: (plan) => expect(plan.ok).toBe(true),
  },
  'notes the permissions it could not check in advance': {
    capabilities: azureCapabilities,
    inspection: inspection(
      storageAccount,
      [key(storageAccount, 'key1'), key(storageAccount, 'key2')],
      ['key1'],
      [],
      ['Microsoft.Storage/storageAccounts/regenerateKey/action'],
    ),
    request: rotate('key1', { retire: 'delete' }),
    expect: (plan) => {
      expect(plan.ok).toBe(true);
      expect(plan.notes.join('\n')).toMatch(
        /not checked in advance: Microsoft.Storage\/storageAccounts\/regenerateKey\/action/,
      );
      expect(plan.notes.join('\n')).toMatch(/the new key goes into the other slot/);
    },
  },
  'refuses an Azure account whose sites use both slots': {
    capabilities: azureCapabilities,
    inspection: inspection(
      storageAccount,
      [key(storageAccount, 'key1'), key(storageAccount, 'key2')],
      ['key1', 'key2'],
    ),
    request: rotate('key1'),
    expect: (plan) => {
      const [refusal] = refusalsOf(plan);
      expect(refusal).toMatchObject({ kind: 'limit_reached', keyIds: ['key1', 'key2'] });
      expect(refusal?.message).toMatch(/use both of its keys/);
    },
  },
  'refuses --issue for a bring-your-own provider, saying to pass the key': {
    capabilities: manualCapabilities,
    inspection: inspection(awsUser, [key(awsUser, 'AKIAOLD')], ['AKIAOLD']),
    request: rotate('AKIAOLD'),
    expect: (plan) =>
      expect(refusalsOf(plan)[0]).toMatchObject({
        kind: 'unsupported',
        remedy: expect.stringMatching(/--new-key-file/),
      }),
  },
  'refuses when the sites hold no key of the principal': {
    capabilities: awsCapabilities(),
    inspection: inspection(awsUser, [key(awsUser, 'AKIAOLD')], ['AKIAOLD']),
    request: rotate('AKIAELSEWHERE'),
    expect: (plan) => expect(refusalsOf(plan)[0]).toMatchObject({ kind: 'not_found', keyIds: ['AKIAELSEWHERE'] }),
  },
};

describe('preflight', () => {
  for (const [name, c] of Object.entries(cases))
    it(name, () => {
      const before = JSON.stringify(c.inspection);
      c.expect(preflight(c.capabilities, c.inspection, c.request));
      // Pure: the inspection is not changed.
      expect(JSON.stringify(c.inspection)).toBe(before);
    });
});

describe('operationsFor', () => {
  it('needs delete for an issued key (rollback deletes it) and reactivate after a deactivation', () => {
    expect(operationsFor(rotate('AKIAOLD'), awsCapabilities()).sort()).toEqual([
      'deactivate',
      'delete',
      'inspect',
      'issue',
      'reactivate',
    ]);
  });
  it('needs no control-plane write for a bring-your-own rotation that retires nothing', () => {
    expect(operationsFor(rotate('AKIAOLD', { issue: false, retire: 'none' }), awsCapabilities())).toEqual(['inspect']);
  });
  it('retires an Azure key by regenerating its slot', () => {
    expect(operationsFor(rotate('key1', { issue: false, retire: 'delete' }), azureCapabilities).sort()).toEqual([
      'delete',
      'inspect',
    ]);
  });
});
