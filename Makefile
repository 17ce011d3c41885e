# Thin front door over CMake + CTest. `make test` and `make demo` install the
# Debian packages they need first (scripts/install-deps.sh).
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure test test-asan test-tsan demo bench install clean

all: configure
	cmake --build $(BUILD) -j$(JOBS)

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null

test: all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNNT_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 NNT_TEST_QUICK=1 ctest --output-on-failure -j$(JOBS)

# ThreadSanitizer: the whole suite (the study tests run 2-4 worker threads,
# tests/test_study_threads.c) with small workloads; any report fails the run.
# tests/tsan.supp lists the third-party code TSan cannot see into.
TSAN_OPTIONS_RUN = halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp log_path=$(CURDIR)/$(TSAN_BUILD)/tsan-report
test-tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNNT_TSAN=ON $(CMAKE_FLAGS) >/dev/null
	cmake --build $(TSAN_BUILD) -j$(JOBS)
	rm -f $(TSAN_BUILD)/tsan-report.*
	cd $(TSAN_BUILD) && TSAN_OPTIONS="$(TSAN_OPTIONS_RUN)" NNT_TEST_QUICK=1 ctest --output-on-failure -j$(JOBS)
	@if ls $(TSAN_BUILD)/tsan-report.* >/dev/null 2>&1; then cat $(TSAN_BUILD)/tsan-report.*; \
	  echo "ThreadSanitizer reports above"; exit 1; fi

demo: all
	bash scripts/demo.sh $(BUILD)/nntune

bench: all
	@bash scripts/install-deps.sh --bench
	bash bench/run.sh $(BUILD)

install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)
