#!/bin/sh
# scripts/test-failure-summary against a real ctest run: a scratch project whose tests fail the
# ways this project's suites do (a unittest assertion and exception, a GoogleTest failure, a
# test killed at its TIMEOUT) next to one that passes. The summary must name each failing test
# with the lines that say why, and leave the passing one out.
# Usage: failure_summary_test.sh SCRIPTS_DIR
set -eu
summary="$1/test-failure-summary"
dir=$(mktemp -d /tmp/berth-fs.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/t_case.py" <<'PY'
import unittest
class T(unittest.TestCase):
    def test_ok(self): pass
    def test_bad(self): self.fail("tasks_stopped: Max attempts exceeded; task STOPPING")
    def test_err(self): raise KeyError("exitCode")
PY
cat > "$dir/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(scratch NONE)
enable_testing()
add_test(NAME py.fails COMMAND /usr/bin/python3 -m unittest t_case WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME sh.passes COMMAND sh -c "echo Error: printed by a test that passes")
add_test(NAME gtest.fails COMMAND sh -c "echo 'x.cc:12: Failure'; echo '[  FAILED  ] A.B (0 ms)'; exit 1")
add_test(NAME hangs COMMAND sleep 30)
set_tests_properties(hangs PROPERTIES TIMEOUT 1)
CM
cmake -S "$dir" -B "$dir/b" >/dev/null
if (cd "$dir/b" && ctest -j4 >/dev/null 2>&1); then echo "the scratch tests did not fail"; exit 1; fi
out=$("$summary" "$dir/b")
echo "$out"
expect() {
  echo "$out" | grep -qF -- "$1" || { echo "missing from the summary: $1"; exit 1; }
}
expect "=== what failed (3 tests;"
expect "py.fails (after "
expect "AssertionError: tasks_stopped: Max attempts exceeded; task STOPPING"
expect "KeyError: 'exitCode'"
expect "gtest.fails (after "
expect "x.cc:12: Failure"
expect "hangs (after "  # (ctest kills it at ~1 s; the time it reports varies)
if echo "$out" | grep -q "sh.passes"; then echo "a passing test is listed"; exit 1; fi
echo ok
