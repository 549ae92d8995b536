// S3 through the AWS SDK for JavaScript v3 (@aws-sdk/client-s3 with forcePathStyle, and
// @aws-sdk/lib-storage's Upload) against a real `berth serve`: put/get/list/delete, the SDK's
// default checksums (aws-chunked bodies with a CRC32 trailer, checksum validation on GET), and
// a streaming multipart upload of a > 8 MB stream whose length the SDK does not know.
//
// Like deploy_action_test.mjs, it starts its own daemon ($BERTH_BIN, default ../../build/berth)
// on 127.0.0.1:0 with a temporary data dir and stops it by PID at the end.
//
// Run: cd tests/node && npm ci && BERTH_BIN=/path/to/berth node --test s3_test.mjs

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';

import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command,
  DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BERTH = process.env.BERTH_BIN || path.join(HERE, '..', '..', 'build', 'berth');
const REGION = 'us-east-1';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class Daemon {
  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-node-s3-'));
    this.dataDir = path.join(this.root, 'data');
    fs.mkdirSync(this.dataDir);
    this.logPath = path.join(this.dataDir, 'daemon.log');
  }

  async start(timeoutMs = 15000) {
    const endpoint = path.join(this.dataDir, 'endpoint');
    const log = fs.openSync(this.logPath, 'a');
    this.proc = spawn(BERTH, ['serve', '--listen', '127.0.0.1:0', '--data-dir', this.dataDir, '--driver', 'process'],
                      { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', resolve));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`berth serve exited: ${this.logs()}`);
      if (fs.existsSync(endpoint)) {
        this.url = fs.readFileSync(endpoint, 'utf8').trim();
        try {
          const r = await fetch(`${this.url}/_berth/health`, { signal: AbortSignal.timeout(2000) });
          if (r.status === 200) break;
        } catch { /* not up yet */ }
      }
      if (Date.now() > deadline) throw new Error(`berth serve did not become healthy: ${this.logs()}`);
      await sleep(50);
    }
    this.creds = {};
    for (const line of fs.readFileSync(path.join(this.dataDir, 'credentials'), 'utf8').split('\n')) {
      const i = line.indexOf('=');
      if (i >= 0) this.creds[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return this;
  }

  logs() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    process.kill(this.proc.pid, 'SIGTERM');
    const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), 40000).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      process.kill(this.proc.pid, 'SIGKILL');
      await this.exited;
    }
  }

  killNow() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      try { process.kill(this.proc.pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }
}

let daemon;
let s3;

before(async () => {
  daemon = new Daemon();
  process.once('exit', () => daemon.killNow());
  await daemon.start();
  s3 = new S3Client({
    endpoint: daemon.url,
    region: REGION,
    forcePathStyle: true,
    credentials: {
      accessKeyId: daemon.creds.aws_access_key_id,
      secretAccessKey: daemon.creds.aws_secret_access_key,
    },
    maxAttempts: 1,
  });
});

after(async () => {
  if (!daemon) return;
  try {
    await daemon.stop();
  } finally {
    fs.rmSync(daemon.root, { recursive: true, force: true });
  }
});

test('put, get, list and delete with forcePathStyle', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-bucket' }));
  const put = await s3.send(new PutObjectCommand({
    Bucket: 'node-bucket', Key: 'config/app.env', Body: 'APP_ENV=production\n',
    ContentType: 'text/plain', Metadata: { owner: 'node' },
  }));
  assert.equal(put.ETag, `"${crypto.createHash('md5').update('APP_ENV=production\n').digest('hex')}"`);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'node-bucket', Key: 'config/app.env' }));
  assert.equal(await got.Body.transformToString(), 'APP_ENV=production\n');
  assert.equal(got.ContentType, 'text/plain');
  assert.deepEqual(got.Metadata, { owner: 'node' });
  await s3.send(new PutObjectCommand({ Bucket: 'node-bucket', Key: 'config/other.env', Body: 'X=1' }));
  const list = await s3.send(new ListObjectsV2Command({ Bucket: 'node-bucket', Prefix: 'config/' }));
  assert.deepEqual(list.Contents.map((o) => o.Key), ['config/app.env', 'config/other.env']);
  await s3.send(new DeleteObjectCommand({ Bucket: 'node-bucket', Key: 'config/app.env' }));
  await s3.send(new DeleteObjectsCommand({
    Bucket: 'node-bucket', Delete: { Objects: [{ Key: 'config/other.env' }] },
  }));
  const empty = await s3.send(new ListObjectsV2Command({ Bucket: 'node-bucket' }));
  assert.equal(empty.KeyCount, 0);
  await assert.rejects(
    s3.send(new GetObjectCommand({ Bucket: 'node-bucket', Key: 'config/app.env' })),
    (e) => e.name === 'NoSuchKey');
});

test('lib-storage Upload streams a > 8 MB body of unknown length in parts', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'node-stream' }));
  const size = 12 * 1024 * 1024 + 777;
  const data = crypto.randomBytes(size);
  const stream = new PassThrough();
  // Feed the stream in pieces, as a file or network source would.
  (async () => {
    for (let off = 0; off < size; off += 256 * 1024) {
      stream.write(data.subarray(off, Math.min(size, off + 256 * 1024)));
      await sleep(1);
    }
    stream.end();
  })();
  const upload = new Upload({
    client: s3,
    params: { Bucket: 'node-stream', Key: 'big.bin', Body: stream, ContentType: 'application/octet-stream' },
    partSize: 5 * 1024 * 1024,
    queueSize: 2,
  });
  const done = await upload.done();
  assert.match(done.ETag, /^"[0-9a-f]{32}-3"$/);
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'node-stream', Key: 'big.bin' }));
  assert.equal(head.ContentLength, size);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'node-stream', Key: 'big.bin' }));
  const back = Buffer.from(await got.Body.transformToByteArray());
  assert.equal(crypto.createHash('sha256').update(back).digest('hex'),
               crypto.createHash('sha256').update(data).digest('hex'));
});
