#include "functions/runtime_shims.h"

namespace berth::functions {

const char kNodeShimFile[] = "node-shim.js";
const char kPythonShimFile[] = "python-shim.py";

// Adapted from the tested shim in spec/events.md §8: files instead of stdin and fd 3, the
// handler and context from Lambda's environment variables, console lines in Lambda's format.
const char kNodeShim[] = R"JS('use strict';
// berth's Node.js runtime shim: runs ONE invocation of a Lambda handler (see
// src/functions/functions.h for the contract). Written by berth; do not edit.
const fs = require('fs');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const env = process.env;
const requestId = env.BERTH_LAMBDA_REQUEST_ID || '';
const deadline = Number(env.BERTH_LAMBDA_DEADLINE_MS) || Date.now() + 3000;
const root = env.LAMBDA_TASK_ROOT || process.cwd();

// console.* as Lambda's Node.js runtime writes it; stderr, so stdout stays the user's.
const levels = { log: 'INFO', info: 'INFO', debug: 'DEBUG', warn: 'WARN', error: 'ERROR', trace: 'TRACE' };
for (const [method, level] of Object.entries(levels)) {
  console[method] = (...args) => {
    process.stderr.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${util.format(...args)}\n`);
  };
}

let done = false;
function finish(code, text, drain) {
  if (done) return;
  done = true;
  try {
    fs.writeFileSync(env.BERTH_LAMBDA_RESULT, text);
  } catch (e) {
    process.stderr.write(`berth: cannot write the result: ${e}\n`);
    code = 2;
  }
  try {
    fs.writeFileSync(env.BERTH_LAMBDA_META, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
  } catch (_) {}
  process.exitCode = code;
  if (!drain) process.exit(code);
}
function errorBody(e, type) {
  try {
    if (util.types.isNativeError(e) || e instanceof Error) {
      return { errorType: type || e.name, errorMessage: e.message, trace: String(e.stack || '').split('\n') };
    }
    return { errorType: type || typeof e, errorMessage: String(e), trace: [] };
  } catch (_) {
    return { errorType: type || 'handled', errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack' };
  }
}
function fail(e, type) {
  if (done) return;
  const body = errorBody(e, type);
  const text = JSON.stringify(body);
  console.error(type && type.startsWith('Runtime.Uncaught') ? 'Uncaught Exception \t' + text : 'Invoke Error \t' + text);
  finish(1, text, false);
}
function succeed(value, drain) {
  if (done) return;
  let text;
  try {
    text = JSON.stringify(value === undefined ? null : value);
  } catch (e) {
    return fail(new Error(`Unable to stringify response body: ${e.message}`), 'Runtime.MarshalError');
  }
  finish(0, text === undefined ? 'null' : text, drain);
}

process.on('beforeExit', () => succeed(null, true));
process.on('uncaughtException', (e) => fail(e, 'Runtime.UncaughtException'));
process.on('unhandledRejection', (e) => fail(e, 'Runtime.UnhandledPromiseRejection'));

function named(message, name) {
  const e = new Error(message);
  e.name = name;
  return e;
}

(async () => {
  const handler = env._HANDLER || '';
  if (handler.includes('..')) {
    return fail(new Error(`'${handler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`), 'Runtime.MalformedHandlerName');
  }
  const base = path.basename(handler);
  const moduleRoot = handler.substring(0, handler.length - base.length);
  const match = base.match(/^([^.]*)\.(.*)$/);
  if (!match) return fail(new Error('Bad handler'), 'Runtime.MalformedHandlerName');
  const [, moduleName, handlerPath] = match;
  const dir = path.resolve(root, moduleRoot);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => path.join(dir, moduleName + ext)).find((f) => fs.existsSync(f));
  if (!file) {
    return fail(named(`Error: Cannot find module '${moduleName}'`, 'Runtime.ImportModuleError'), 'Runtime.ImportModuleError');
  }
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (e) {
    if (e instanceof SyntaxError) return fail(named(String(e), 'Runtime.UserCodeSyntaxError'), 'Runtime.UserCodeSyntaxError');
    return fail(named(String(e), 'Runtime.ImportModuleError'), 'Runtime.ImportModuleError');
  }
  const resolve = (obj) => handlerPath.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
  let fn = resolve(mod);
  if (typeof fn !== 'function' && mod.default) fn = resolve(mod.default);
  if (typeof fn !== 'function') {
    return fail(named(`${base} is undefined or not exported`, 'Runtime.HandlerNotFound'), 'Runtime.HandlerNotFound');
  }
  let event;
  try {
    event = JSON.parse(fs.readFileSync(env.BERTH_LAMBDA_EVENT, 'utf8') || '{}');
  } catch (e) {
    return fail(e);
  }
  let clientContext;
  try {
    if (env.BERTH_LAMBDA_CLIENT_CONTEXT) clientContext = JSON.parse(Buffer.from(env.BERTH_LAMBDA_CLIENT_CONTEXT, 'base64').toString());
  } catch (_) {}
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: env.BERTH_LAMBDA_FUNCTION_ARN,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: undefined,
    clientContext,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    succeed: (result) => succeed(result, false),
    fail: (err) => fail(err),
    done: (err, result) => (err ? fail(err) : succeed(result, false)),
  };
  const callback = (err, result) => (err ? fail(err) : succeed(result, context.callbackWaitsForEmptyEventLoop));
  try {
    const r = fn(event, context, callback);
    if (r && typeof r.then === 'function') succeed(await r, false);
  } catch (e) {
    fail(e);
  }
})();
)JS";

const char kPythonShim[] =
    R"PY(# berth's Python runtime shim: runs ONE invocation of a Lambda handler (see
# src/functions/functions.h for the contract). Written by berth; do not edit.
import importlib
import json
import logging
import os
import sys
import time
import traceback

env = os.environ
request_id = env.get("BERTH_LAMBDA_REQUEST_ID", "")
deadline = int(env.get("BERTH_LAMBDA_DEADLINE_MS") or 0) or int(time.time() * 1000) + 3000
root = env.get("LAMBDA_TASK_ROOT") or os.getcwd()
here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != here]
sys.path.insert(0, root)


class _RequestId(logging.Filter):
    def filter(self, record):
        record.aws_request_id = request_id
        return True


_formatter = logging.Formatter(
    "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
    "%Y-%m-%dT%H:%M:%S")
_formatter.converter = time.gmtime
_handler = logging.StreamHandler(sys.stdout)
_handler.setFormatter(_formatter)
_handler.addFilter(_RequestId())
logging.getLogger().addHandler(_handler)


def finish(code, text):
    with open(env["BERTH_LAMBDA_RESULT"], "w") as f:
        f.write(text)
    try:
        import resource
        with open(env["BERTH_LAMBDA_META"], "w") as f:
            json.dump({"maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, f)
    except Exception:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def fail(error_type, message, stack=None):
    stack = stack or []
    log = "[ERROR] %s: %s" % (error_type, message)
    if stack:
        log += "\nTraceback (most recent call last):\n" + "".join(stack).rstrip("\n")
    print(log, flush=True)
    finish(1, json.dumps({"errorMessage": message, "errorType": error_type,
                          "requestId": request_id, "stackTrace": stack}))


def user_stack(tb):
    frames = traceback.extract_tb(tb)
    frames = [f for f in frames if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    return traceback.format_list(frames)


class LambdaContext:
    def __init__(self):
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = env.get("BERTH_LAMBDA_FUNCTION_ARN")
        self.memory_limit_in_mb = int(env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 128)
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        raw = env.get("BERTH_LAMBDA_CLIENT_CONTEXT")
        if raw:
            try:
                import base64
                self.client_context = json.loads(base64.b64decode(raw))
            except Exception:
                pass

    def get_remaining_time_in_millis(self):
        return max(0, deadline - int(time.time() * 1000))


def main():
    handler = env.get("_HANDLER", "")
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        fail("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler, e))
    if ".." in modname.split("/") or modname.startswith("/"):
        fail("Runtime.MalformedHandlerName", "Bad handler '%s'" % handler)
    modname = modname.replace("/", ".")
    try:
        module = importlib.import_module(modname)
    except ImportError as e:
        fail("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (modname, e))
    except SyntaxError as e:
        fail("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (modname, e))
    except Exception as e:
        fail(type(e).__name__, str(e), user_stack(e.__traceback__))
    fn = getattr(module, fname, None)
    if fn is None:
        fail("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (fname, modname))
    try:
        with open(env["BERTH_LAMBDA_EVENT"]) as f:
            event = json.loads(f.read() or "{}")
    except Exception as e:
        fail("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
    try:
        result = fn(event, LambdaContext())
    except Exception as e:
        fail(type(e).__name__, str(e), user_stack(e.__traceback__))
    try:
        text = json.dumps(result)
    except (TypeError, ValueError) as e:
        fail("Runtime.MarshalError", "Unable to marshal response: %s" % e)
    finish(0, text)


main()
)PY";

}  // namespace berth::functions
