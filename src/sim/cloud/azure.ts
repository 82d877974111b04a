/**
 * The emulated Azure Blob data plane: azurite's blob server in this process, with storage
 * accounts and their two keys (key1, key2) set by the test at run time. Accounts are in the URL
 * path, azurite style: `http://127.0.0.1:PORT/<account>`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** azurite's AccountDataStore: re-reads AZURITE_ACCOUNTS on `refresh()` (and every 60 s). */
interface AccountDataStore {
  refresh(): void;
}

interface BlobServerInstance {
  readonly accountDataStore: AccountDataStore;
  readonly httpServer: { address(): AddressInfo | string | null };
  start(): Promise<void>;
  close(): Promise<void>;
}

type BlobServerConstructor = new (configuration: object) => BlobServerInstance;
type BlobConfigurationConstructor = new (...args: unknown[]) => object;

export type AzureKeySlot = 'key1' | 'key2';

interface AccountKeys {
  key1: string;
  key2: string;
}

const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
/** Used when no account is configured, so that azurite's well-known devstoreaccount1 is never served. */
const PLACEHOLDER_ACCOUNT = 'kubecostrotatesim';

export function randomAzureKey(): string {
  return randomBytes(64).toString('base64');
}

function checkKey(account: string, key: string): void {
  if (key.length === 0 || Buffer.from(key, 'base64').toString('base64') !== key)
    throw new Error(`cloud-sim: the key given for Azure account ${account} is not base64`);
}

/**
 * Controls of the emulated Azure storage accounts. Each account has two valid keys at any time,
 * as in Azure; regenerating a slot makes its old key invalid at once.
 */
export class AzureSim {
  private readonly keyTimes = new Map<string, Record<AzureKeySlot, Date>>();

  private constructor(
    private readonly server: BlobServerInstance,
    private readonly accounts: Map<string, AccountKeys>,
  ) {}

  /** Starts azurite's blob service on a loopback port, keeping its data under `directory`. */
  static async start(directory: string): Promise<AzureSim> {
    await mkdir(directory, { recursive: true });
    const BlobServer = (require('azurite/dist/src/blob/BlobServer.js') as { default: BlobServerConstructor }).default;
    const BlobConfiguration = (
      require('azurite/dist/src/blob/BlobConfiguration.js') as { default: BlobConfigurationConstructor }
    ).default;
    const configuration = new BlobConfiguration(
      '127.0.0.1',
      0,
      undefined,
      join(directory, 'azurite-db.json'),
      join(directory, 'azurite-extent.json'),
      [{ locationId: 'Default', locationPath: join(directory, 'azurite-blobs'), maxConcurrency: 1 }],
      false /* access log */,
      undefined,
      false /* debug log */,
      undefined,
      false /* loose */,
      true /* skip API version check */,
    );
    const server = new BlobServer(configuration);
    const accounts = new Map<string, AccountKeys>();
    // azurite reads its accounts from the process-wide AZURITE_ACCOUNTS. Give this server's store
    // our accounts whenever it refreshes, and leave the variable as it was, so two simulators in
    // one process keep their own accounts.
    const store = server.accountDataStore;
    const refresh = store.refresh.bind(store);
    store.refresh = () => {
      const previous = process.env.AZURITE_ACCOUNTS;
      const entries = [...accounts].map(([name, keys]) => `${name}:${keys.key1}:${keys.key2}`);
      process.env.AZURITE_ACCOUNTS =
        entries.length > 0 ? entries.join(';') : `${PLACEHOLDER_ACCOUNT}:${randomAzureKey()}`;
      try {
        refresh();
      } finally {
        if (previous === undefined) delete process.env.AZURITE_ACCOUNTS;
        else process.env.AZURITE_ACCOUNTS = previous;
      }
    };
    await server.start();
    return new AzureSim(server, accounts);
  }

  /** The blob service root; an account's URL is `${blobEndpoint}/${account}` (see {@link blobUrl}). */
  get blobEndpoint(): string {
    const address = this.server.httpServer.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return `http://127.0.0.1:${port}`;
  }

  /** The blob service URL of one account, as an SDK client takes it. */
  blobUrl(account: string): string {
    return `${this.blobEndpoint}/${account}`;
  }

  /** Creates or replaces an account's two keys (base64, as Azure shows them). */
  setAccountKeys(account: string, key1: string, key2: string = randomAzureKey()): void {
    if (!ACCOUNT_NAME.test(account))
      throw new Error(`cloud-sim: ${account} is not a valid storage account name (3-24 lowercase letters and digits)`);
    checkKey(account, key1);
    checkKey(account, key2);
    const previous = this.accounts.get(account);
    const now = new Date();
    const times = this.keyTimes.get(account);
    this.keyTimes.set(account, {
      key1: previous?.key1 === key1 && times ? times.key1 : now,
      key2: previous?.key2 === key2 && times ? times.key2 : now,
    });
    this.accounts.set(account, { key1, key2 });
    this.server.accountDataStore.refresh();
  }

  /** Sets one slot's key, keeping the other (an account that did not exist gets a random other key). */
  setKey(account: string, slot: AzureKeySlot, key: string): void {
    const current = this.accounts.get(account) ?? { key1: randomAzureKey(), key2: randomAzureKey() };
    const next = { ...current, [slot]: key };
    this.setAccountKeys(account, next.key1, next.key2);
  }

  /** Replaces one slot's key with a fresh random one (ARM regenerateKey) and returns it. */
  regenerateKey(account: string, slot: AzureKeySlot): string {
    if (!this.accounts.has(account)) throw new Error(`cloud-sim: no Azure storage account ${account}`);
    const key = randomAzureKey();
    this.setKey(account, slot, key);
    return key;
  }

  /** The account's current keys (ARM listKeys), or undefined for an unknown account. */
  keysOf(account: string): Readonly<AccountKeys> | undefined {
    const keys = this.accounts.get(account);
    return keys ? { ...keys } : undefined;
  }

  /** When each slot's key was set (ARM listKeys `creationTime`). */
  keyCreationTimes(account: string): Readonly<Record<AzureKeySlot, Date>> | undefined {
    const times = this.keyTimes.get(account);
    return times ? { ...times } : undefined;
  }

  /** The storage accounts, by name. */
  accountNames(): string[] {
    return [...this.accounts.keys()];
  }

  /** Which slot holds `key` now, if any. */
  slotOf(account: string, key: string): AzureKeySlot | undefined {
    const keys = this.accounts.get(account);
    if (!keys) return undefined;
    if (keys.key1 === key) return 'key1';
    if (keys.key2 === key) return 'key2';
    return undefined;
  }

  /** Creates a container in the account if it does not exist (through the official SDK, with key1). */
  async ensureContainer(account: string, container: string): Promise<void> {
    const keys = this.accounts.get(account);
    if (!keys) throw new Error(`cloud-sim: no Azure storage account ${account}; call setAccountKeys first`);
    const { BlobServiceClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
    const service = new BlobServiceClient(this.blobUrl(account), new StorageSharedKeyCredential(account, keys.key1), {
      retryOptions: { maxTries: 1 },
    });
    await service.getContainerClient(container).createIfNotExists();
  }

  /** Stops serving; the data stays in the directory given to {@link AzureSim.start}. */
  async stop(): Promise<void> {
    await this.server.close();
  }
}
