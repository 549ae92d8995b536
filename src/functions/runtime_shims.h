// The source of berth's Node.js and Python runtime shims, written to DATA_DIR/functions/runtime/
// by Functions::Load. Each runs ONE invocation under the file contract of functions.h (event
// file in, result file out, exit 0 = result, exit 1 = function error). Constants; any thread.
#pragma once

namespace berth::functions {

extern const char kNodeShimFile[];  // "node-shim.js"
extern const char kNodeShim[];
extern const char kPythonShimFile[];  // "python-shim.py"
extern const char kPythonShim[];

}  // namespace berth::functions
