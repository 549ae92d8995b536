# `make` builds build/berth incrementally with Ninja. `make test` and `make demo` first run
# scripts/setup (installs missing Debian packages; a no-op when everything is present).
BUILD ?= build
JOBS ?= $(shell nproc)
# Tests: one more than the cores — the integration suites mostly wait on daemons, containers and
# timers (a 2-core run keeps ~1.1 cores busy at -j 2).
TEST_JOBS ?= $(shell echo $$(( $$(nproc) + 1 )))

.PHONY: all build setup test unit integration demo bench fuzz clean

all: build

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja

build: $(BUILD)/build.ninja
	cmake --build $(BUILD)

setup:
	./scripts/setup

# When tests fail, what failed is printed again last (scripts/test-failure-summary): with ctest -j
# a failing test's output lands mid-log, and a CI log's tail would only name the test.
test: setup
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS) || \
	  { $(CURDIR)/scripts/test-failure-summary .; exit 1; }

demo: setup
	$(MAKE) build
	./scripts/demo

bench: build
	./bench/run

fuzz:
	./fuzz/run

clean:
	rm -rf $(BUILD)
