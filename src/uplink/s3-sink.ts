import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand,
  PutObjectCommand, S3Client, UploadPartCommand, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { Logger } from '../shared/logger.js';
import type { OutboxItem } from '../shared/ports.js';
import { groupToName, keyToName, type Provenance, type Sink } from './sink.js';

export interface S3SinkOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. `site-a/`. */
  readonly prefix: string;
  /** Files at least this large go up as multipart uploads. */
  readonly multipartThresholdBytes: number;
  readonly partSizeBytes: number;
  /** Passed to the AWS SDK: endpoint, region, forcePathStyle, credentials (default provider chain when absent). */
  readonly client: S3ClientConfig;
  readonly logger: Logger;
  readonly name?: string;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * Any S3-compatible object store (AWS, MinIO, Ceph). Objects are named by idempotency key and carry provenance and
 * expiry as metadata; an object whose metadata already names the key is not uploaded again. Large segments go
 * up as multipart uploads (aborted on failure so no orphaned parts accumulate).
 */
export class S3Sink implements Sink {
  readonly name: string;
  readonly ordered = false;
  private client: S3Client | undefined;

  constructor(private readonly options: S3SinkOptions) {
    if (options.partSizeBytes < MIN_PART_BYTES) throw new RangeError('S3 multipart parts must be at least 5 MiB');
    this.name = options.name ?? 's3';
  }

  accepts(): boolean {
    return true;
  }

  async start(): Promise<void> {
    this.client = new S3Client({
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 1,
      ...this.options.client,
    });
  }

  /** Object key of an item's payload (`.data`) or JSON body (`.json`). */
  objectKey(item: Pick<OutboxItem, 'kind' | 'group' | 'key'>, suffix: '.data' | '.json'): string {
    return `${this.options.prefix}${item.kind}/${groupToName(item.group)}/${keyToName(item.key)}${suffix}`;
  }

  async deliver(item: OutboxItem, provenance: Provenance): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('s3 sink is not started');
    const metadata = this.metadata(item, provenance);
    if (item.filePath !== undefined) {
      const key = this.objectKey(item, '.data');
      if (!(await this.holds(client, key, item.key))) await this.putFile(client, key, item, metadata);
    }
    if (item.body !== undefined || item.filePath === undefined) {
      const key = this.objectKey(item, '.json');
      if (await this.holds(client, key, item.key)) return;
      const json = Buffer.from(`${JSON.stringify(item.body ?? null)}\n`);
      await client.send(new PutObjectCommand({
        Bucket: this.options.bucket, Key: key, Body: json, ContentType: 'application/json', Metadata: metadata,
        ContentMD5: createHash('md5').update(json).digest('base64'), ...expires(item),
      }));
    }
  }

  async stop(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
  }

  private metadata(item: OutboxItem, provenance: Provenance): Record<string, string> {
    return {
      'idempotency-key': encodeURIComponent(item.key),
      kind: item.kind,
      ...(item.group !== undefined && { group: encodeURIComponent(item.group) }),
      'gateway-id': encodeURIComponent(provenance.gatewayId),
      'enqueued-at': new Date(provenance.enqueuedAt).toISOString(),
      ...(item.expiresAt !== undefined && { 'expires-at': new Date(item.expiresAt).toISOString() }),
    };
  }

  /** True when the object exists and was written for this idempotency key (a complete earlier delivery). */
  private async holds(client: S3Client, key: string, idempotencyKey: string): Promise<boolean> {
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return head.Metadata?.['idempotency-key'] === encodeURIComponent(idempotencyKey);
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return false;
      throw error;
    }
  }

  private async putFile(client: S3Client, key: string, item: OutboxItem, metadata: Record<string, string>): Promise<void> {
    const path = item.filePath as string;
    const size = (await stat(path)).size;
    const contentType = item.contentType ?? 'application/octet-stream';
    if (size < this.options.multipartThresholdBytes) {
      const handle = await open(path, 'r');
      const body = await handle.readFile().finally(() => handle.close());
      await client.send(new PutObjectCommand({
        Bucket: this.options.bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata,
        ContentMD5: createHash('md5').update(body).digest('base64'), ...expires(item),
      }));
      return;
    }
    await this.putMultipart(client, key, path, size, { ContentType: contentType, Metadata: metadata, ...expires(item) });
  }

  private async putMultipart(client: S3Client, key: string, path: string, size: number, head: { ContentType: string; Metadata: Record<string, string>; Expires?: Date }): Promise<void> {
    const bucket = this.options.bucket;
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...head }));
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new Error('object store returned no multipart upload id');
    const handle = await open(path, 'r');
    try {
      const parts: { ETag: string; PartNumber: number }[] = [];
      for (let offset = 0, partNumber = 1; offset < size; offset += this.options.partSizeBytes, partNumber += 1) {
        const length = Math.min(this.options.partSizeBytes, size - offset);
        const chunk = Buffer.alloc(length);
        await handle.read(chunk, 0, length, offset);
        const part = await client.send(new UploadPartCommand({
          Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: chunk,
          ContentMD5: createHash('md5').update(chunk).digest('base64'),
        }));
        parts.push({ ETag: part.ETag ?? '', PartNumber: partNumber });
      }
      await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch((abortError: unknown) => {
        this.options.logger.warn({ sink: this.name, err: abortError }, 'could not abort multipart upload; the store lifecycle must expire it');
      });
      throw error;
    } finally {
      await handle.close();
    }
  }
}

function expires(item: OutboxItem): { Expires?: Date } {
  return item.expiresAt === undefined ? {} : { Expires: new Date(item.expiresAt) };
}
