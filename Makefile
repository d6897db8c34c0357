# Rural24 build. `make` builds build/rural24; `make test` runs every test;
# `make run` starts a development server. See README.md.

CC      ?= cc
PKGS    := libuv jansson libsodium libpq hiredis libjwt openssl libidn2 vips
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -lwslay -lunistring -lm

WARN    := -Wall -Wextra -Wformat=2 -Wshadow -Wno-unused-parameter -Wstrict-prototypes
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) $(WARN) -g -MMD -MP
ifeq ($(WERROR),1)
CFLAGS_BASE += -Werror
endif

SRC     := $(shell find src -name '*.c' ! -path src/main.c | sort)
UNIT_SRC := $(shell find tests/unit -name '*.c' 2>/dev/null | sort)

# Variants: release (build/), asan (build/asan/).
REL_DIR  := build
ASAN_DIR := build/asan
FUZZ_DIR := build/fuzz

REL_CFLAGS  := $(CFLAGS_BASE) -O2
ASAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The test build carries the /api/_test routes (RURAL24_TEST_ROUTES); the
# release build never does.
ASAN_CFLAGS := $(CFLAGS_BASE) -O1 $(ASAN_FLAGS) -DRURAL24_TEST_ROUTES

# The optimised build with the test routes (no sanitizers), for the tests
# that measure memory: ASan's own allocations would hide what they check.
TREL_DIR := build/test-release
TREL_CFLAGS := $(REL_CFLAGS) -DRURAL24_TEST_ROUTES

REL_OBJ  := $(SRC:%.c=$(REL_DIR)/obj/%.o)
TREL_OBJ := $(SRC:%.c=$(TREL_DIR)/obj/%.o)
ASAN_OBJ := $(SRC:%.c=$(ASAN_DIR)/obj/%.o)

.PHONY: all asan test unit integration fuzz fuzz-build run stop-db bootstrap clean format \
        format-check bench check-deps web e2e
all: $(REL_DIR)/rural24

$(REL_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -c $< -o $@

$(TREL_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(TREL_CFLAGS) -c $< -o $@

$(TREL_DIR)/rural24: $(TREL_DIR)/obj/src/main.o $(TREL_OBJ)
	$(CC) $(TREL_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(ASAN_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(REL_DIR)/librural24.a: $(REL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(ASAN_DIR)/librural24.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(REL_DIR)/rural24: $(REL_DIR)/obj/src/main.o $(REL_DIR)/librural24.a
	$(CC) $(REL_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(ASAN_DIR)/rural24: $(ASAN_DIR)/obj/src/main.o $(ASAN_DIR)/librural24.a
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(PKG_LIBS)

asan: $(ASAN_DIR)/rural24

# Unit tests: one Criterion binary per file under tests/unit, built with the
# sanitizers. A test file may #include the .c it tests to reach static functions,
# so the library is linked with --allow-multiple-definition.
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(ASAN_DIR)/unit/%)
$(ASAN_DIR)/unit/%: tests/unit/%.c $(ASAN_DIR)/librural24.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -Itests -o $@ $< $(ASAN_DIR)/librural24.a $(PKG_LIBS) -lcriterion \
	    -Wl,--allow-multiple-definition

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t --jobs 2 --short-filename; done

# Store behaviour suite: one C program runs the same tests against each cache
# store (memory, redis, hybrid) and each rate-limiter store (memory, redis) on a
# real loop, starting its own redis-server on a free port.
STORE_SUITE_SRC := $(sort $(wildcard tests/store/*.c))
$(ASAN_DIR)/store_suite: $(STORE_SUITE_SRC) $(wildcard tests/store/*.h) $(ASAN_DIR)/librural24.a
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -Itests/store -o $@ $(STORE_SUITE_SRC) $(ASAN_DIR)/librural24.a \
	    $(PKG_LIBS)

.PHONY: store-test
store-test: $(ASAN_DIR)/store_suite
	@set -e; for s in "cache memory" "cache redis" "cache hybrid" "ratelimit memory" \
	    "ratelimit redis"; do $(ASAN_DIR)/store_suite $$s; done

# scripts/test-services starts a throwaway PostgreSQL for the whole run
# (RURAL24_TEST_PG_URL) and removes it afterwards.
integration: $(ASAN_DIR)/rural24 $(REL_DIR)/rural24 $(TREL_DIR)/rural24
	RURAL24_BIN=$(abspath $(ASAN_DIR)/rural24) scripts/test-services node --test --test-concurrency=2 \
	    $$(find tests/integration -name '*.test.mjs' | sort)

# libFuzzer target: parse → route → respond, no network.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS) -g -O1 -fno-omit-frame-pointer \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(FUZZ_DIR)/fuzz_http: tests/fuzz/fuzz_http.c $(SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_http.c $(SRC) $(PKG_LIBS)
fuzz-build: $(FUZZ_DIR)/fuzz_http
FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_DIR)/fuzz_http
	@mkdir -p build/fuzz/corpus
	$(FUZZ_DIR)/fuzz_http -max_total_time=$(FUZZ_SECONDS) -max_len=20000 -rss_limit_mb=1024 \
	    -print_final_stats=1 build/fuzz/corpus tests/fuzz/seeds

check-deps:
	@scripts/bootstrap

# The web app (web/, docs/WEB.md): `npm ci` from the lock file only when it is
# newer than the installed tree (so an installed tree builds offline), then
# web/build.mjs into web/dist whenever a source changed (a fraction of a
# second). The server reads web/dist at start-up (WEB_DIR).
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/build.mjs
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --prefer-offline
	@touch $@
web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	node web/build.mjs
web: web/dist/index.html

# Browser tests (tests/e2e, docs/WEB.md "Browser tests"): Debian's chromium
# (scripts/bootstrap installs it; never a downloaded browser) driven by
# playwright-core, from tests/e2e's lock file, against the release build
# serving web/dist, on the throwaway PostgreSQL of scripts/test-services.
# Screenshots land in build/screenshots/.
tests/e2e/node_modules/.package-lock.json: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund --prefer-offline
	@touch $@
e2e: web $(REL_DIR)/rural24 tests/e2e/node_modules/.package-lock.json
	RURAL24_BIN=$(abspath $(REL_DIR)/rural24) scripts/test-services node --test --test-concurrency=2 \
	    $$(find tests/e2e -name '*.test.mjs' -not -path '*/node_modules/*' | sort)

test: check-deps format-check
	$(MAKE) WERROR=1 all asan
	$(MAKE) unit
	$(MAKE) store-test
	$(MAKE) web
	$(MAKE) integration
	$(MAKE) e2e
	$(MAKE) fuzz FUZZ_SECONDS=30

run: check-deps all web
	scripts/run-dev

stop-db:
	scripts/dev-db stop

bench: all
	scripts/bench

format:
	clang-format -i $$(find src tests -name '*.c' -o -name '*.h')

format-check:
	clang-format --dry-run --Werror $$(find src tests -name '*.c' -o -name '*.h')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
