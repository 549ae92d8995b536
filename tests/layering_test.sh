#!/bin/sh
# Checks that each src/ folder includes only the folders below it (docs/architecture.md).
# Usage: layering_test.sh SRC_DIR
set -eu
src="$1"
allowed() {
  case "$1" in
    common) echo "common" ;;
    model) echo "common model" ;;
    state) echo "common model state" ;;
    driver) echo "common driver" ;;
    docker) echo "common driver docker" ;;
    network) echo "common network" ;;
    lb) echo "common lb" ;;
    logs) echo "common logs" ;;
    events) echo "common events" ;;
    objects) echo "common objects" ;;
    secrets) echo "common secrets" ;;
    functions) echo "common driver logs functions" ;;
    runner) echo "common model driver logs runner" ;;
    ecs) echo "common model driver network lb logs events functions runner state objects secrets ecs" ;;
    api) echo "common model driver network lb logs events functions runner state objects secrets ecs api" ;;
    daemon) echo "common model driver docker network lb logs events functions runner state objects secrets ecs api daemon" ;;
    cli) echo "common api cli" ;;
    *) echo "" ;;
  esac
}
bad=0
for dir in "$src"/*/; do
  layer=$(basename "$dir")
  ok=$(allowed "$layer")
  for inc in $(grep -rhoE '^#include "[a-z_]+/' "$dir" | sed -E 's/#include "([a-z_]+)\//\1/' | sort -u); do
    case " $ok " in
      *" $inc "*) ;;
      *) echo "layering: src/$layer includes src/$inc/ (allowed: $ok)"; bad=1 ;;
    esac
  done
done
# cli may use only api/auth from api/.
if grep -rhE '^#include "api/' "$src/cli" | grep -vq '"api/auth/'; then
  echo "layering: src/cli may include only api/auth from api/"; bad=1
fi
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
