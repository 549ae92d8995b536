// The GitHub Actions deploy sequence against a real `berth serve`, driven by the AWS SDK for
// JavaScript v3 (@aws-sdk/client-ecs, the SDK both actions bundle).
//
// It reproduces, call for call and parameter for parameter, what these two actions do:
//   - aws-actions/amazon-ecs-render-task-definition@v1 (index.js, v1.9.0): read a task-definition
//     JSON file, set the image (and optionally the command) of the named container(s), drop the
//     output-only attributes, write a new file.
//   - aws-actions/amazon-ecs-deploy-task-definition@v2 (index.js, v2.6.3): clean the file (empty
//     values, output-only attributes), RegisterTaskDefinition, DescribeServices (MISSING, ACTIVE,
//     deployment controller, PRIMARY id before), UpdateService, waitUntilServicesStable, then the
//     post-stability DescribeServices check of the new PRIMARY deployment (gone or FAILED = fail).
// The code below is our own; the comments name the action lines each step mirrors.
//
// Like tests/integration/harness.py, it starts its own daemon: $BERTH_BIN (default
// ../../build/berth) `serve --listen 127.0.0.1:0` with a temporary data dir, learns the URL from
// <data dir>/endpoint (then GET /_berth/health) and the credentials from <data dir>/credentials,
// and stops it by PID with SIGTERM at the end. All traffic goes to 127.0.0.1.
//
// Run: cd tests/node && npm ci && BERTH_BIN=/path/to/berth node --test deploy_action_test.mjs

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

import { ECS, waitUntilServicesStable } from '@aws-sdk/client-ecs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BERTH = process.env.BERTH_BIN || path.join(HERE, '..', '..', 'build', 'berth');
const REGION = 'us-east-1';
const CLUSTER = 'deploy-test';

// The deploy action polls with WAIT_DEFAULT_DELAY_SEC = 15 as the waiter's minDelay (and the
// SDK default maxDelay unless `wait-max-delay-seconds` is set). For test speed we poll every
// 1-2 s instead: minDelay 1 here, and `wait-max-delay-seconds: 2` in the inputs below.
const TEST_WAIT_MIN_DELAY_SEC = 1;

// ---------------------------------------------------------------------------------------------
// The daemon (same protocol as tests/integration/harness.py: Daemon.start/stop/cleanup)

class Daemon {
  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-node-'));
    this.dataDir = path.join(this.root, 'data');
    this.runnerTemp = path.join(this.root, 'runner-temp'); // the actions' $RUNNER_TEMP
    fs.mkdirSync(this.dataDir);
    fs.mkdirSync(this.runnerTemp);
    this.logPath = path.join(this.dataDir, 'daemon.log');
    this.proc = null;
    this.exited = null;
  }

  async start(timeoutMs = 15000) {
    const endpoint = path.join(this.dataDir, 'endpoint');
    fs.rmSync(endpoint, { force: true });
    const log = fs.openSync(this.logPath, 'a');
    this.proc = spawn(BERTH, ['serve', '--listen', '127.0.0.1:0', '--data-dir', this.dataDir, '--driver', 'process'],
                      { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, sig) => {
      this.exitStatus = sig ? `signal ${sig}` : `exit code ${code}`;
      resolve(this.exitStatus);
    }));
    this.proc.once('error', (e) => { this.spawnError = e; });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.spawnError) throw new Error(`cannot start ${BERTH}: ${this.spawnError.message}`);
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`berth serve exited with ${this.proc.exitCode ?? this.proc.signalCode}: ${this.logs()}`);
      }
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
    this.port = Number(this.url.slice(this.url.lastIndexOf(':') + 1));
    this.creds = this.readCredentials();
    return this;
  }

  // <data dir>/credentials is an INI file ([berth] aws_access_key_id = …); like the harness,
  // take every `key = value` line.
  readCredentials() {
    const creds = {};
    for (const line of fs.readFileSync(path.join(this.dataDir, 'credentials'), 'utf8').split('\n')) {
      const i = line.indexOf('=');
      if (i >= 0) creds[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return creds;
  }

  logs() {
    try { return fs.readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  // SIGTERM by PID, then wait (the daemon stops every task first); SIGKILL after 40 s.
  async stop(timeoutMs = 40000) {
    if (!this.proc || !this.proc.pid || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    process.kill(this.proc.pid, 'SIGTERM');
    const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      process.kill(this.proc.pid, 'SIGKILL');
      await this.exited;
    }
  }

  // Last resort when the test process itself is being torn down (no awaiting possible).
  killNow() {
    if (this.proc && this.proc.pid && this.proc.exitCode === null && this.proc.signalCode === null) {
      try { process.kill(this.proc.pid, 'SIGTERM'); } catch { /* already gone */ }
    }
  }

  cleanup() {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what, predicate, timeoutMs, intervalMs = 1000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await predicate();
    if (last && last.done) return last.value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${JSON.stringify(last && last.value, null, 1)}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// amazon-ecs-render-task-definition@v1 (index.js), the task-definition-file path.

// index.js:8-17 — output-only attributes of DescribeTaskDefinition.
const OUTPUT_ONLY_ATTRIBUTES = ['compatibilities', 'taskDefinitionArn', 'requiresAttributes',
  'revision', 'status', 'registeredAt', 'deregisteredAt', 'registeredBy'];

function renderTaskDefinition({ taskDefinitionFile, containerName, image, command, runnerTemp }) {
  // index.js:62-70: the file must exist; it is loaded with require() (= JSON.parse).
  if (!fs.existsSync(taskDefinitionFile)) {
    throw new Error(`Task definition file does not exist: ${taskDefinitionFile}`);
  }
  const taskDef = JSON.parse(fs.readFileSync(taskDefinitionFile, 'utf8'));
  // index.js:102-108: container-name is one name or a comma-separated list.
  if (!/^([^,]+,)*[^,]+$/.test(containerName)) {
    throw new Error('Invalid format for container name. Please use a single value or comma separated values');
  }
  for (const name of containerName.split(',')) {
    // index.js:110-125: find the container by name, set image; `command` is split on spaces.
    if (!Array.isArray(taskDef.containerDefinitions)) {
      throw new Error('Invalid task definition format: containerDefinitions section is not present or is not an array');
    }
    const container = taskDef.containerDefinitions.find((c) => c.name == name);
    if (!container) throw new Error('Invalid task definition: Could not find container definition with matching name');
    container.image = image;
    if (command) container.command = command.split(' ');
  }
  // index.js:276-290: deep copy, delete the output-only attributes, write a new
  // $RUNNER_TEMP/task-definition-*.json (2-space JSON); its path is the step's output.
  const cleaned = JSON.parse(JSON.stringify(taskDef));
  for (const attr of OUTPUT_ONLY_ATTRIBUTES) delete cleaned[attr];
  const out = path.join(runnerTemp, `task-definition-${crypto.randomBytes(6).toString('hex')}.json`);
  fs.writeFileSync(out, JSON.stringify(cleaned, null, 2));
  return out;
}

// ---------------------------------------------------------------------------------------------
// amazon-ecs-deploy-task-definition@v2 (index.js), the ECS-deployment-controller path.

// index.js:322-378 (cleanNullKeys): drop null, undefined and '' values, arrays and objects with
// no non-empty member (recursively), and empty elements inside arrays — except keys listed in
// `keep-null-value-keys`.
function isEmptyValue(value, key, keep) {
  if (keep && key && keep.has(key)) return false;
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.every((e) => isEmptyValue(e, undefined, keep));
  if (typeof value === 'object') return Object.values(value).every((v) => isEmptyValue(v));
  return false;
}

function cleanNullKeys(obj, keepNullValueKeys) {
  const keep = keepNullValueKeys.length > 0 ? new Set(keepNullValueKeys) : null;
  return JSON.parse(JSON.stringify(obj, (key, value) => {
    if (isEmptyValue(value, key, keep)) return undefined;
    if (Array.isArray(value)) return value.filter((e) => !isEmptyValue(e, undefined, keep));
    return value;
  }));
}

// index.js:380-392: delete the output-only attributes that are present (truthy).
function removeIgnoredAttributes(taskDef) {
  for (const attr of OUTPUT_ONLY_ATTRIBUTES) {
    if (taskDef[attr]) delete taskDef[attr];
  }
  return taskDef;
}

// index.js:394-422: APPMESH proxy properties and environment entries get '' for a missing
// name/value.
function maintainValidObjects(taskDef) {
  const proxy = taskDef.proxyConfiguration;
  if (proxy && proxy.type == 'APPMESH' && proxy.properties && proxy.properties.length > 0) {
    for (const p of proxy.properties) {
      if (!('value' in p)) p.value = '';
      if (!('name' in p)) p.name = '';
    }
  }
  for (const c of taskDef.containerDefinitions || []) {
    for (const e of c.environment || []) {
      if (!('value' in e)) e.value = '';
    }
  }
  return taskDef;
}

// Records every command the action's client sends (operation name and input, as the SDK
// received them), so the tests can assert the exact call sequence.
function recordCalls(client, calls) {
  client.middlewareStack.add((next, context) => async (args) => {
    calls.push({ op: context.commandName.replace(/Command$/, ''), input: structuredClone(args.input) });
    return next(args);
  }, { step: 'initialize', name: 'berthTestCallRecorder' });
}

// The action's run() (index.js:523-643) for a workflow step with these `with:` inputs (strings,
// as core.getInput returns them; '' = not given). Returns what the step would report: `failed`
// is the core.setFailed message or null, plus the ids and responses the tests check.
async function deployTaskDefinition(inputs, { minDelaySeconds = 15, abortSignal } = {}) {
  const input = (name) => inputs[name] ?? '';
  const result = { failed: null, calls: [] };
  try {
    // index.js:526-552: inputs.
    const taskDefinitionFile = input('task-definition');
    const service = input('service');
    const cluster = input('cluster');
    const maxRetries = parseInt(input('max-retries')) || 3;
    const waitForService = input('wait-for-service-stability');
    let waitForMinutes = parseInt(input('wait-for-minutes')) || 30;
    if (waitForMinutes > 360) waitForMinutes = 360; // MAX_WAIT_MINUTES
    const waitMaxDelaySeconds = input('wait-max-delay-seconds') ? parseInt(input('wait-max-delay-seconds')) : null;
    const forceNewDeployment = (input('force-new-deployment') || 'false').toLowerCase() === 'true';
    const desiredCount = parseInt(input('desired-count'));
    const enableECSManagedTags = input('enable-ecs-managed-tags') !== ''
      ? input('enable-ecs-managed-tags').toLowerCase() === 'true' : null;
    const propagateTags = input('propagate-tags') !== '' ? input('propagate-tags') : null;
    const keepNullValueKeys = input('keep-null-value-keys')
      ? input('keep-null-value-keys').split(',').map((k) => k.trim()).filter(Boolean) : [];

    // index.js:561-565: the client exactly as the action builds it. Endpoint, region and
    // credentials come from the environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
    // AWS_SECRET_ACCESS_KEY), which is how a workflow points the unmodified action at berth.
    const ecs = new ECS({
      customUserAgent: 'amazon-ecs-deploy-task-definition-for-github-actions',
      maxAttempts: maxRetries,
      retryMode: 'standard',
    });
    recordCalls(ecs, result.calls);

    // index.js:575-590: parse (yaml.parse in the action; the file is JSON), clean, register.
    const fileContents = fs.readFileSync(taskDefinitionFile, 'utf8');
    const taskDefContents = maintainValidObjects(removeIgnoredAttributes(
      cleanNullKeys(JSON.parse(fileContents), keepNullValueKeys)));
    result.registeredInput = structuredClone(taskDefContents);
    let registerResponse;
    try {
      registerResponse = await ecs.registerTaskDefinition(taskDefContents);
    } catch (error) {
      throw new Error('Failed to register task definition in ECS: ' + error.message, { cause: error });
    }
    const taskDefArn = registerResponse.taskDefinition.taskDefinitionArn;
    result.taskDefArn = taskDefArn; // output `task-definition-arn`

    // index.js:593: cluster defaults to 'default'. (run-task is not exercised here.)
    const clusterName = cluster ? cluster : 'default';
    if (!service) return result; // index.js:635-636: register only.

    // index.js:605-617: DescribeServices; MISSING and non-ACTIVE services fail the step.
    const describeResponse = await ecs.describeServices({ services: [service], cluster: clusterName });
    if (describeResponse.failures && describeResponse.failures.length > 0) {
      const failure = describeResponse.failures[0];
      throw new Error(`${failure.arn} is ${failure.reason}`);
    }
    const serviceResponse = describeResponse.services[0];
    if (serviceResponse.status != 'ACTIVE') throw new Error(`Service is ${serviceResponse.status}`);

    // index.js:620-634: only the ECS controller (or none given) takes the UpdateService path.
    const controller = serviceResponse.deploymentController;
    if (controller && controller.type && controller.type !== 'ECS') {
      throw new Error(`this test covers the ECS deployment controller only, got ${controller.type}`);
    }
    const beforePrimary = (serviceResponse.deployments || []).find((d) => d.status === 'PRIMARY');
    const beforeDeploymentId = beforePrimary ? beforePrimary.id : null;
    result.beforeDeploymentId = beforeDeploymentId;

    // index.js:221-235 (updateEcsService): volumeConfigurations is [] without the
    // service-managed-ebs-volume inputs; enableECSManagedTags/propagateTags are null when not
    // given (the SDK drops nulls); desiredCount only when it parses as a number.
    const params = {
      cluster: clusterName,
      service,
      taskDefinition: taskDefArn,
      forceNewDeployment,
      enableECSManagedTags,
      propagateTags,
      volumeConfigurations: [],
    };
    if (!isNaN(desiredCount) && desiredCount !== undefined) params.desiredCount = desiredCount;
    const updateResponse = await ecs.updateService(params);
    result.updateResponse = updateResponse;

    // index.js:237-239: the PRIMARY deployment id in the UpdateService response.
    const primary = (updateResponse.service.deployments || []).find((d) => d.status === 'PRIMARY');
    const afterDeploymentId = primary ? primary.id : null;
    result.afterDeploymentId = afterDeploymentId;

    // index.js:247-263: waitUntilServicesStable({client, minDelay, maxWaitTime[, maxDelay]},
    // {services, cluster}). minDelay is 15 in the action (see TEST_WAIT_MIN_DELAY_SEC).
    if (waitForService && waitForService.toLowerCase() === 'true') {
      const waiterConfig = { client: ecs, minDelay: minDelaySeconds, maxWaitTime: waitForMinutes * 60 };
      if (waitMaxDelaySeconds) waiterConfig.maxDelay = waitMaxDelaySeconds;
      // Test hygiene only (not in the action): stop polling if node:test cancels the test.
      if (abortSignal) waiterConfig.abortSignal = abortSignal;
      result.waiterResult = await waitUntilServicesStable(waiterConfig, { services: [service], cluster: clusterName });

      // index.js:265-293: if UpdateService started a new deployment, it must still be there
      // after stability and must not be FAILED.
      if (afterDeploymentId && afterDeploymentId !== beforeDeploymentId) {
        const verifyResponse = await ecs.describeServices({ services: [service], cluster: clusterName });
        result.verifyResponse = verifyResponse;
        const verified = verifyResponse.services[0];
        const deployment = (verified.deployments || []).find((d) => d.id === afterDeploymentId);
        if (!deployment) {
          throw new Error(`Deployment ${afterDeploymentId} not found after stabilization. ` +
            'The deployment was likely rolled back by the deployment circuit breaker.');
        }
        if (deployment.rolloutState === 'FAILED') {
          throw new Error(`Deployment ${afterDeploymentId} FAILED: ${deployment.rolloutStateReason || 'unknown reason'}`);
        }
        result.verified = `Deployment ${afterDeploymentId} verified: rolloutState=${deployment.rolloutState || 'N/A'}`;
      } else {
        result.skippedVerification = true;
      }
    }
  } catch (error) {
    result.failed = error.message; // index.js:639-641: core.setFailed(error.message)
    result.error = error;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

let daemon;
let ecs; // the test's own client (explicit endpoint, region and credentials)

function onTeardownSignal(sig) {
  if (daemon) daemon.killNow();
  process.exit(sig === 'SIGINT' ? 130 : 143);
}

before(async () => {
  daemon = new Daemon(); // assigned before start() so after() cleans up even if it fails
  process.once('exit', () => daemon.killNow());
  await daemon.start();
  process.once('SIGTERM', onTeardownSignal);
  process.once('SIGINT', onTeardownSignal);

  ecs = new ECS({
    endpoint: `http://127.0.0.1:${daemon.port}`,
    region: REGION,
    credentials: {
      accessKeyId: daemon.creds.aws_access_key_id,
      secretAccessKey: daemon.creds.aws_secret_access_key,
    },
    maxAttempts: 1,
  });

  // The environment of a workflow step that points the actions at berth (what `berth env`
  // exports, plus AWS_REGION: the JS SDK v3 reads AWS_REGION, never AWS_DEFAULT_REGION).
  // Shared config files are pointed at nothing so no local profile can interfere.
  for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL_ECS']) delete process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: daemon.creds.aws_access_key_id,
    AWS_SECRET_ACCESS_KEY: daemon.creds.aws_secret_access_key,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL: daemon.url,
    AWS_CONFIG_FILE: path.join(daemon.root, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(daemon.root, 'no-aws-credentials'),
    RUNNER_TEMP: daemon.runnerTemp,
  });
});

after(async () => {
  if (!daemon) return;
  try {
    await daemon.stop();
  } finally {
    daemon.cleanup();
  }
});

// Attach the daemon's fate and log tail to a failure, so a red run says why.
function withDiagnostics(fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      if (daemon) {
        if (daemon.exitStatus) t.diagnostic(`berth serve (pid ${daemon.proc.pid}) died during the test: ${daemon.exitStatus}`);
        t.diagnostic('berth serve log (tail):');
        for (const line of daemon.logs().trimEnd().split('\n').slice(-40)) t.diagnostic(`  ${line}`);
      }
      throw e;
    }
  };
}

function describeForMessage(service) {
  if (!service) return 'no service';
  const { status, taskDefinition, desiredCount, runningCount, pendingCount, deployments, events } = service;
  return JSON.stringify({ status, taskDefinition, desiredCount, runningCount, pendingCount,
    deployments: (deployments || []).map(({ id, status: s, taskDefinition: td, rolloutState, rolloutStateReason,
      desiredCount: d, runningCount: r, pendingCount: p, failedTasks }) =>
      ({ id, status: s, taskDefinition: td, rolloutState, rolloutStateReason, desiredCount: d,
        runningCount: r, pendingCount: p, failedTasks })),
    events: (events || []).slice(0, 15).map((e) => e.message) }, null, 1);
}

async function describeService(name) {
  const r = await ecs.describeServices({ cluster: CLUSTER, services: [name] });
  assert.deepEqual(r.failures, [], `DescribeServices ${name} failures`);
  return r.services[0];
}

// The task definition as a team keeps it: what Terraform/the console registered. A workflow
// typically fetches it with `aws ecs describe-task-definition --query taskDefinition` (the
// seed's fetch-td step); DescribeTaskDefinition output written as JSON is that file.
function webTaskDefinition(family) {
  return {
    family,
    containerDefinitions: [{
      name: 'web',
      image: 'example/web:v1',
      memory: 128,
      essential: true,
      // berth's process driver runs entryPoint + command on the host; the image is recorded.
      entryPoint: ['sh', '-c'],
      command: ['exec sleep 3600'],
      environment: [{ name: 'APP_ENV', value: 'production' }],
    }],
  };
}

async function fetchTaskDefinitionFile(family, dir) {
  const r = await ecs.describeTaskDefinition({ taskDefinition: family });
  const file = path.join(dir, `${family}-task-definition.json`);
  fs.writeFileSync(file, JSON.stringify(r.taskDefinition, null, 2));
  return { file, taskDefinition: r.taskDefinition };
}

const ops = (calls) => calls.map((c) => c.op);

// One line per call of the deploy step, collapsing the waiter's repeated polls.
function report(t, res) {
  const seq = [];
  for (const op of ops(res.calls)) {
    const last = seq[seq.length - 1];
    if (last && last.op === op) last.n += 1; else seq.push({ op, n: 1 });
  }
  t.diagnostic(`deploy step calls: ${seq.map(({ op, n }) => (n > 1 ? `${op} x${n}` : op)).join(' -> ')}`);
  t.diagnostic(`deploy step: before=${res.beforeDeploymentId} after=${res.afterDeploymentId} ` +
               (res.failed ? `FAILED: ${res.failed}` : `ok (${res.verified ?? 'no verification'})`));
}

// The JSON a task definition revision would be registered from: the described definition
// minus what differs per revision.
function reRegistrable(taskDefinition) {
  return cleanNullKeys(removeIgnoredAttributes(structuredClone(taskDefinition)), []);
}

// ---------------------------------------------------------------------------------------------
// Tests

test('the SDK reaches berth; render + deploy without a service only registers a revision',
     { timeout: 60_000 }, withDiagnostics(async () => {
  const reg = await ecs.registerTaskDefinition(webTaskDefinition('web'));
  const v1 = reg.taskDefinition;
  assert.equal(v1.family, 'web');
  assert.equal(v1.revision, 1);
  assert.equal(v1.status, 'ACTIVE');
  assert.equal(v1.taskDefinitionArn, `arn:aws:ecs:${REGION}:${v1.taskDefinitionArn.split(':')[4]}:task-definition/web:1`);

  const { file, taskDefinition } = await fetchTaskDefinitionFile('web', daemon.runnerTemp);
  assert.deepEqual(taskDefinition.containerDefinitions, v1.containerDefinitions);

  const rendered = renderTaskDefinition({ taskDefinitionFile: file, containerName: 'web',
                                          image: 'example/web:v2', runnerTemp: daemon.runnerTemp });
  const renderedJson = JSON.parse(fs.readFileSync(rendered, 'utf8'));
  assert.equal(renderedJson.containerDefinitions[0].image, 'example/web:v2');
  for (const attr of OUTPUT_ONLY_ATTRIBUTES) assert.ok(!(attr in renderedJson), `render left ${attr}`);

  // The deploy action with no `service` input registers the file and stops (index.js:603,635).
  const res = await deployTaskDefinition({ 'task-definition': rendered });
  assert.equal(res.failed, null, res.failed);
  assert.deepEqual(ops(res.calls), ['RegisterTaskDefinition']);
  assert.match(res.taskDefArn, /:task-definition\/web:2$/);

  // berth accepts its own described output back, and the new revision differs only in the image.
  const v2 = (await ecs.describeTaskDefinition({ taskDefinition: res.taskDefArn })).taskDefinition;
  assert.equal(v2.revision, 2);
  assert.equal(v2.containerDefinitions[0].image, 'example/web:v2');
  const expected = reRegistrable(v1);
  expected.containerDefinitions[0].image = 'example/web:v2';
  assert.deepEqual(reRegistrable(v2), expected);
}));

test('render + deploy a new image to a service and wait for stability (deploy action v2)',
     { timeout: 150_000 }, withDiagnostics(async (t) => {
  await ecs.createCluster({ clusterName: CLUSTER });
  const initial = (await ecs.registerTaskDefinition(webTaskDefinition('site'))).taskDefinition;
  const created = (await ecs.createService({
    cluster: CLUSTER, serviceName: 'site', taskDefinition: 'site', desiredCount: 2,
  })).service;
  assert.equal(created.status, 'ACTIVE');
  assert.equal(created.taskDefinition, initial.taskDefinitionArn);
  assert.equal(created.deployments.length, 1, describeForMessage(created));
  assert.equal(created.deployments[0].status, 'PRIMARY');

  await waitUntilServicesStable(
    { client: ecs, minDelay: TEST_WAIT_MIN_DELAY_SEC, maxDelay: 2, maxWaitTime: 60, abortSignal: t.signal },
    { cluster: CLUSTER, services: ['site'] });
  const before = await describeService('site');
  assert.equal(before.runningCount, 2, describeForMessage(before));
  const beforePrimary = before.deployments.find((d) => d.status === 'PRIMARY');

  // The workflow: fetch the definition, render the new image, deploy and wait.
  const { file } = await fetchTaskDefinitionFile('site', daemon.runnerTemp);
  const rendered = renderTaskDefinition({ taskDefinitionFile: file, containerName: 'web',
                                          image: 'example/web:v2', runnerTemp: daemon.runnerTemp });
  const res = await deployTaskDefinition({
    'task-definition': rendered,
    service: 'site',
    cluster: CLUSTER,
    'wait-for-service-stability': 'true',
    'wait-for-minutes': '2',
    'wait-max-delay-seconds': '2',
  }, { minDelaySeconds: TEST_WAIT_MIN_DELAY_SEC, abortSignal: t.signal });
  report(t, res);
  const seen = describeForMessage(res.verifyResponse?.services?.[0] ?? await describeService('site'));
  assert.equal(res.failed, null, `the deploy step failed: ${res.failed}\nservice: ${seen}`);

  // The exact call sequence: register, describe, update, the waiter's DescribeServices polls,
  // then the verification DescribeServices.
  const sequence = ops(res.calls);
  assert.deepEqual(sequence.slice(0, 3), ['RegisterTaskDefinition', 'DescribeServices', 'UpdateService']);
  assert.ok(sequence.slice(3).every((op) => op === 'DescribeServices') && sequence.length >= 5, sequence.join(','));
  const update = res.calls[2].input;
  assert.deepEqual(update, { cluster: CLUSTER, service: 'site', taskDefinition: res.taskDefArn,
    forceNewDeployment: false, enableECSManagedTags: null, propagateTags: null, volumeConfigurations: [] });
  assert.match(res.taskDefArn, /:task-definition\/site:2$/);

  // The action's own checks passed; now what it relies on, precisely.
  assert.equal(res.beforeDeploymentId, beforePrimary.id);
  assert.match(res.afterDeploymentId, /^ecs-svc\/\d+$/);
  assert.notEqual(res.afterDeploymentId, res.beforeDeploymentId, 'UpdateService with a new revision starts a new deployment');
  assert.ok(res.verified, 'the post-stability verification ran');

  const svc = res.verifyResponse.services[0];
  assert.equal(svc.taskDefinition, res.taskDefArn, seen);
  assert.equal(svc.deployments.length, 1, seen);
  const d = svc.deployments[0];
  assert.equal(d.id, res.afterDeploymentId, seen);
  assert.equal(d.status, 'PRIMARY', seen);
  assert.equal(d.taskDefinition, res.taskDefArn, seen);
  assert.equal(d.rolloutState, 'COMPLETED', seen);
  assert.equal(svc.desiredCount, 2, seen);
  assert.equal(svc.runningCount, svc.desiredCount, seen);

  // The service's running tasks are the new revision's, started by the new deployment.
  const { taskArns } = await ecs.listTasks({ cluster: CLUSTER, serviceName: 'site' });
  assert.equal(taskArns.length, 2, JSON.stringify(taskArns));
  const { tasks } = await ecs.describeTasks({ cluster: CLUSTER, tasks: taskArns });
  for (const task of tasks) {
    assert.equal(task.taskDefinitionArn, res.taskDefArn);
    assert.equal(task.lastStatus, 'RUNNING');
    assert.equal(task.startedBy, res.afterDeploymentId);
    assert.equal(task.group, 'service:site');
    assert.equal(task.containers[0].image, 'example/web:v2');
  }
}));

test('a crashing revision trips the circuit breaker, rolls back, and the deploy step fails',
     { timeout: 210_000 }, withDiagnostics(async (t) => {
  await ecs.createCluster({ clusterName: CLUSTER });
  const good = (await ecs.registerTaskDefinition(webTaskDefinition('shop'))).taskDefinition;
  const created = (await ecs.createService({
    cluster: CLUSTER, serviceName: 'shop', taskDefinition: 'shop', desiredCount: 2,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
  })).service;
  assert.deepEqual(created.deploymentConfiguration.deploymentCircuitBreaker, { enable: true, rollback: true });
  assert.equal(created.deploymentConfiguration.maximumPercent, 200);
  assert.equal(created.deploymentConfiguration.minimumHealthyPercent, 100);

  await waitUntilServicesStable(
    { client: ecs, minDelay: TEST_WAIT_MIN_DELAY_SEC, maxDelay: 2, maxWaitTime: 60, abortSignal: t.signal },
    { cluster: CLUSTER, services: ['shop'] });
  // A rollback goes back to the last COMPLETED deployment, so let the first one complete
  // (without a health check a task counts as healthy 40 s after RUNNING).
  const goodDeployment = await waitFor('the first deployment to be COMPLETED', async () => {
    const s = await describeService('shop');
    const p = s.deployments.find((x) => x.status === 'PRIMARY');
    return { done: p && p.rolloutState === 'COMPLETED', value: p ? p : s };
  }, 75_000);

  // Render the same container with a command that exits at once (exit status 1), then deploy.
  const { file } = await fetchTaskDefinitionFile('shop', daemon.runnerTemp);
  const rendered = renderTaskDefinition({ taskDefinitionFile: file, containerName: 'web',
                                          image: 'example/web:broken', command: 'false',
                                          runnerTemp: daemon.runnerTemp });
  assert.deepEqual(JSON.parse(fs.readFileSync(rendered, 'utf8')).containerDefinitions[0].command, ['false']);
  const res = await deployTaskDefinition({
    'task-definition': rendered,
    service: 'shop',
    cluster: CLUSTER,
    'wait-for-service-stability': 'true',
    'wait-for-minutes': '2',
    'wait-max-delay-seconds': '2',
  }, { minDelaySeconds: TEST_WAIT_MIN_DELAY_SEC, abortSignal: t.signal });
  report(t, res);
  const after = await describeService('shop');
  const seen = describeForMessage(after);
  assert.match(res.taskDefArn ?? '', /:task-definition\/shop:2$/, res.failed);
  assert.equal(res.beforeDeploymentId, goodDeployment.id);
  assert.match(res.afterDeploymentId ?? '', /^ecs-svc\/\d+$/, res.failed);
  assert.notEqual(res.afterDeploymentId, res.beforeDeploymentId);

  // What the action reports: the waiter succeeds once the rollback deployment is the only one
  // and has its tasks running; the verification then no longer finds the deployment it started
  // (a FAILED deployment is replaced by a new rollback PRIMARY and drained away).
  assert.ok(res.waiterResult, `waitUntilServicesStable did not succeed: ${res.failed}\nservice: ${seen}`);
  assert.equal(res.failed,
               `Deployment ${res.afterDeploymentId} not found after stabilization. ` +
               'The deployment was likely rolled back by the deployment circuit breaker.', seen);

  // The service is back on the good revision, under a new rollback deployment (spec §6).
  assert.equal(after.taskDefinition, good.taskDefinitionArn, seen);
  assert.equal(after.deployments.length, 1, seen);
  const rollback = after.deployments[0];
  assert.equal(rollback.status, 'PRIMARY', seen);
  assert.equal(rollback.taskDefinition, good.taskDefinitionArn, seen);
  assert.notEqual(rollback.id, res.afterDeploymentId, seen);
  assert.notEqual(rollback.id, res.beforeDeploymentId, seen);
  assert.equal(after.runningCount, after.desiredCount, seen);
  assert.equal(after.desiredCount, 2, seen);
  const messages = after.events.map((e) => e.message);
  for (const m of messages.slice(0, 8)) t.diagnostic(`event: ${m}`);
  assert.ok(messages.includes(`(service shop) (deployment ${res.afterDeploymentId}) deployment failed: tasks failed to start.`), seen);
  assert.ok(messages.includes(`(service shop) rolling back to deployment ${res.beforeDeploymentId}.`), seen);
}));
