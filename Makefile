# bulwark - the commands people type. The build itself is Meson; this file only
# names the steps. Every target installs missing Debian packages first.

BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_REL   ?= build-release
PREFIX      ?= /usr/local

.PHONY: all deps build demo check fuzz bench bench-data install clean

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/build.ninja:
	@bash scripts/deps.sh
	meson setup $(BUILD) --buildtype=debugoptimized

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The main job on the bundled example, with the default (embedded) settings.
demo: deps
	@bash scripts/demo.sh

# gcc build + tests, clang ASan/UBSan build + tests, fuzz corpus replay, one summary line.
check: deps
	@bash scripts/check.sh

# Fuzz every target for FUZZ_SECONDS each (default 60), outside make check.
fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Benchmarks against the peers named in the issues; results go to bench/out/.
bench:
	@bash scripts/deps.sh --bench
	@bash bench/run.sh

# The data benchmark alone (issue 6): profile/validate against DuckDB and pandas on a 1.6 GB CSV.
bench-data:
	@bash scripts/deps.sh --bench
	@bash bench/data.sh

$(BUILD_REL)/build.ninja:
	@bash scripts/deps.sh
	meson setup $(BUILD_REL) --buildtype=release -Db_ndebug=true -Db_lto=true -Dtests=false --prefix=$(PREFIX)

install: $(BUILD_REL)/build.ninja
	ninja -C $(BUILD_REL)
	meson install -C $(BUILD_REL)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_REL) build-fuzz build-bench
