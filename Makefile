# The one entry point: make, make test, make demo, make bench, make target, ...
# Everything builds into build/<variant>/; nothing is downloaded except Debian packages.
#
# Variants share one set of rules and differ only in these variables:
#   host   (default)  cc, build/host
#   asan              make VARIANT=asan   (ASan + UBSan, build/asan)
#   armhf             make VARIANT=armhf  (arm-linux-gnueabihf-gcc against build/armhf/sysroot)
#   fuzz              make VARIANT=fuzz   (clang, libFuzzer instrumentation; used by make fuzz)

VARIANT   ?= host
BUILD     ?= build/$(VARIANT)
CC        ?= cc
PKGS      := yaml-0.1 sqlite3
# 64-bit file offsets and time_t everywhere: no-ops on x86-64; on armhf they make
# readdir/stat work on large filesystems (and under qemu-user) and keep dates past 2038.
CSTD      := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
WARN      := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
OPT       ?= -O2 -g
SAN       ?=
# libmodbus installs its header under include/modbus/.
MODBUS_CFLAGS ?= $(shell pkg-config --cflags libmodbus 2>/dev/null || echo -I/usr/include/modbus)
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SAN) $(EXTRA_CFLAGS) $(MODBUS_CFLAGS) $(VERSION_DEF) -MMD -MP \
             -Igateway -I.
LDLIBS_ALL = $(SAN) $(EXTRA_LDFLAGS) -lyaml -lsqlite3 -lcrypto -lmodbus -lmosquitto -lcurl -lm \
             -lhttp_parser -ljansson -lcrypt -lssl
# the SNMP agent (north/snmp/): net-snmp's agent library and its base library
GW_SNMP_LIBS = -lnetsnmpagent -lnetsnmp
LDLIBS_ALL += $(GW_SNMP_LIBS)
# Only hil reads network captures (hil import pcap, sim/import/import_pcap.c).
SIM_LDLIBS = -lpcap -ljansson

# --- variants -----------------------------------------------------------------------
ASAN_SAN    := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SYSROOT     := build/armhf/sysroot
SYSROOT_ABS := $(abspath $(SYSROOT))
SYSROOT_OK  := $(SYSROOT)/.sysroot-packages
QEMU_ARM    := qemu-arm -L $(SYSROOT_ABS)

ifeq ($(VARIANT),asan)
SAN           = $(ASAN_SAN)
# Any report ends the process with a failure (and the leak check runs at exit); the
# harness also fails a scenario whose gwd.log holds a report (docs/hardening.md).
export ASAN_OPTIONS  ?= detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS ?= halt_on_error=1:print_stacktrace=1
endif
ifeq ($(VARIANT),armhf)
# The C library comes from the cross toolchain; every other library (headers, .so and
# their dependencies) from the sysroot that ci/armhf-sysroot unpacks from Debian's armhf
# packages. -isystem keeps -Werror away from those headers.
CC            = arm-linux-gnueabihf-gcc
MODBUS_CFLAGS = -isystem $(SYSROOT_ABS)/usr/include/modbus
EXTRA_CFLAGS  ?= -isystem $(SYSROOT_ABS)/usr/include \
                 -isystem $(SYSROOT_ABS)/usr/include/arm-linux-gnueabihf
EXTRA_LDFLAGS ?= -L$(SYSROOT_ABS)/usr/lib/arm-linux-gnueabihf \
                 -Wl,-rpath-link,$(SYSROOT_ABS)/usr/lib/arm-linux-gnueabihf \
                 -Wl,-rpath-link,$(SYSROOT_ABS)/lib/arm-linux-gnueabihf
TEST_RUNNER   ?= $(QEMU_ARM)
export QEMU_LD_PREFIX := $(SYSROOT_ABS)
endif
ifeq ($(VARIANT),fuzz)
CC            = clang
SAN           = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT           = -O1 -g
# clang-only style diagnostics (gcc builds keep the project's warning set)
EXTRA_CFLAGS ?= -Wno-for-loop-analysis
endif

# One idea per file, one archive per layer. Includes are paths from the two include
# roots: "core/loop.h", "codec/mbus/mbus_link.h" (gateway/) and "sim/core/trace.h" (.);
# ci/check-layers (in make test) fails on an include across a forbidden boundary
# (docs/architecture.md "Walls").
LAYERS    := core codec store south north tools
layer_src  = $(wildcard gateway/$(1)/*.c gateway/$(1)/*/*.c)
SIM_SRC   := $(wildcard sim/*/*.c)
TEST_SRC  := $(wildcard gateway/tests/test_*.c sim/tests/test_*.c)
FUZZ_SRC  := $(wildcard gateway/tests/fuzz_*.c)
GW_SRC    := $(foreach l,$(LAYERS),$(call layer_src,$(l)))
GW_OBJ    := $(GW_SRC:%.c=$(BUILD)/obj/%.o)
SIM_OBJ   := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN  := $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(TEST_SRC)))
ALL_OBJ   := $(GW_OBJ) $(SIM_OBJ) $(TEST_SRC:%.c=$(BUILD)/obj/%.o) \
             $(BUILD)/obj/gateway/main.o $(BUILD)/obj/sim/hil_main.o

BIN       := $(BUILD)/bin
# Link order: a layer before the layers it may use.
LIBGW     := $(foreach l,tools north south store codec core,$(BUILD)/lib/libgw_$(l).a)
LIBSIM    := $(BUILD)/lib/libsim.a
# The bench links only the gateway layers it may include (ci/check-layers): it never
# contains the gateway's drivers, servers or store.
LIBGW_SIM := $(BUILD)/lib/libgw_codec.a $(BUILD)/lib/libgw_core.a

# Scenario runs: the bench program and the gateway command it starts (HIL_GWD).
HIL_CMD   ?= $(BUILD)/bin/hil
GWD_CMD   ?= $(abspath $(BUILD)/bin/gwd)
SUBMAKE   := $(MAKE) --no-print-directory
FUZZ_SECONDS ?= 60

.PHONY: all ui deps tests test unit scenarios asan unit-asan scenarios-asan \
        target test-target unit-target scenarios-target sysroot \
        check-layers demo bench fuzz fuzz-ci fuzz-keep coverage valgrind clean acceptance
all: deps $(BIN)/gwd $(BIN)/hil ui

# The web UI (gateway/north/web/ui/, docs/web.md): its files and Debian's Chart.js
# (libjs-chart.js) staged as BUILD/share/gwd/ui, the folder gwd serves by default
# (bin/../share/gwd/ui); ci/bundle installs the same folder as /usr/share/gwd/ui.
# Chart.js is a prerequisite only once it is installed (deps installs it first).
UI_DIR    := $(BUILD)/share/gwd/ui
CHARTJS   := /usr/share/javascript/chart.js/chart.min.js
UI_FILES  := $(patsubst gateway/north/web/ui/%,$(UI_DIR)/%,$(wildcard gateway/north/web/ui/*))
ui: $(UI_FILES) $(UI_DIR)/vendor/chart.js
$(UI_DIR)/%: gateway/north/web/ui/%
	@install -D -m 0644 $< $@
$(UI_DIR)/vendor/chart.js: $(wildcard $(CHARTJS)) | deps
	@test -f $(CHARTJS) || { echo "$(CHARTJS) is missing: install libjs-chart.js (ci/deps)" >&2; exit 1; }
	@install -D -m 0644 $(CHARTJS) $@

deps:
	@ci/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

define layer_archive
$(BUILD)/lib/libgw_$(1).a: $(patsubst %.c,$(BUILD)/obj/%.o,$(call layer_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_archive,$(l))))

$(LIBSIM): $(SIM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN)/gwd: $(BUILD)/obj/gateway/main.o $(LIBGW)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BIN)/hil: $(BUILD)/obj/sim/hil_main.o $(LIBSIM) $(LIBGW_SIM)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) $(SIM_LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/gateway/tests/%.o $(LIBGW)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/obj/sim/tests/%.o $(LIBSIM) $(LIBGW)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# gwd --version names the commit; only main.o is rebuilt when it changes (private: the
# flags stamp, a prerequisite, must not see the define).
GWD_RELEASE := 0.1.0
GWD_COMMIT  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/obj/gateway/main.o: private VERSION_DEF := -DGWD_VERSION='"$(GWD_RELEASE) ($(GWD_COMMIT))"'
$(BUILD)/obj/gateway/main.o: $(BUILD)/.version
$(BUILD)/.version: FORCE
	@mkdir -p $(dir $@)
	@echo '$(GWD_RELEASE) $(GWD_COMMIT)' | cmp -s - $@ || echo '$(GWD_RELEASE) $(GWD_COMMIT)' > $@

# Objects are rebuilt when the compiler or its flags change (switching SAN, OPT ...).
FLAGS_STAMP := $(BUILD)/.flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(CC) $(CFLAGS_ALL)' | cmp -s - $@ || echo '$(CC) $(CFLAGS_ALL)' > $@
$(ALL_OBJ) $(FUZZ_SRC:%.c=$(BUILD)/obj/%.o): $(FLAGS_STAMP)
FORCE:

# The armhf objects need the sysroot's headers, so it comes first.
ifeq ($(VARIANT),armhf)
$(ALL_OBJ): | $(SYSROOT_OK)
endif
$(SYSROOT_OK): ci/armhf-sysroot ci/armhf-deps
	ci/armhf-sysroot $(SYSROOT_ABS)
	@touch $@
sysroot: $(SYSROOT_OK)

# --- tests ------------------------------------------------------------------------------
# Everything, with one closing "N passed, N failed" line summed over all steps.
# make test SHARD=K/N: the scenario steps run only their K-th share (docs/ci.md).
test: deps
	@HIL_SHARD=$(SHARD) ci/test

tests: all $(TEST_BIN)

# The walls between layers: every #include is a path and crosses only allowed
# boundaries (ci/check-layers; harness/test_check_layers.py shows it failing).
check-layers:
	@ci/check-layers

# Unit tests: each test binary prints "N passed, N failed"; ci/run-unit sums them.
# TEST_RUNNER (qemu-arm for armhf) prefixes each binary.
unit: tests
	@TEST_RUNNER="$(TEST_RUNNER)" ci/run-unit $(TEST_BIN)

# Scenario suite through the pytest harness (harness/), JUnit XML in $(BUILD).
# The hostile-peer and secrets checks (harness/) run against every gateway build, not
# only the host's (docs/hardening.md).
HARDENING_TESTS := harness/test_hostile.py harness/test_secrets.py
scenarios: all
	@ci/run-scenarios --build $(BUILD) --hil $(HIL_CMD) --gwd "$(GWD_CMD)" \
	    $(if $(filter host,$(VARIANT)),,$(HARDENING_TESTS))

asan: unit-asan scenarios-asan
unit-asan:
	+@$(SUBMAKE) VARIANT=asan unit
scenarios-asan:
	+@$(SUBMAKE) VARIANT=asan scenarios

# Target: armhf binaries in build/armhf/{bin,tests}, run under qemu-arm.
target:
	+@$(SUBMAKE) VARIANT=armhf tests
	@ci/bundle build/armhf
test-target: unit-target scenarios-target
unit-target:
	+@$(SUBMAKE) VARIANT=armhf unit
# The host bench drives the armhf gateway through qemu-arm.
scenarios-target:
	+@$(SUBMAKE) VARIANT=host all
	+@$(SUBMAKE) VARIANT=armhf HIL_CMD=build/host/bin/hil \
	    GWD_CMD="$(QEMU_ARM) $(abspath build/armhf/bin/gwd)" scenarios

# Acceptance: the acceptance scenarios in target mode against the gateway installed on the
# emulated armhf board (ci/acceptance, docs/target.md). Takes minutes: not part of make test.
# BOARD=libvirt (a libvirt domain; the default where virsh and libvirtd are installed) or
# BOARD=qemu (plain qemu-system-arm). TARGET=map.yaml: a real device wired as the map
# says (the gateway already installed there): only the host bench is built.
BOARD ?= $(if $(shell command -v virsh >/dev/null && command -v libvirtd >/dev/null && echo y),libvirt,qemu)
ifdef TARGET
acceptance: all
	@TARGET=$(TARGET) ci/acceptance
else
acceptance: all target
	@BOARD=$(BOARD) ci/acceptance
endif

# --- demo, benchmarks, fuzzing ----------------------------------------------------------
# make demo ARGS="--for 30s": the bench plant and gwd in real time, readings as they come.
demo: all
	@ci/demo --build $(BUILD) $(ARGS)

bench: all
	@ci/bench --build $(BUILD) $(ARGS)

# Every gateway/tests/fuzz_NAME.c is a libFuzzer target: make fuzz-NAME runs it for
# FUZZ_SECONDS (corpus build/fuzz/corpus/NAME, seeded from the hex lines of
# fixtures/corpus/NAME and fixtures/corpus/NAME-* and the files of fixtures/fuzz/NAME/;
# fixtures/fuzz/NAME/regressions/ are replayed first); make fuzz runs them all and
# prints the executions per target (docs/hardening.md).
FUZZ_NAMES := $(patsubst gateway/tests/fuzz_%.c,%,$(FUZZ_SRC))
FUZZ_BINS  := $(addprefix build/fuzz/bin/fuzz_,$(FUZZ_NAMES))
fuzz: deps
	+@$(SUBMAKE) VARIANT=fuzz $(FUZZ_BINS)
	@ci/fuzz-all $(FUZZ_SECONDS) $(FUZZ_NAMES)
# make fuzz-keep: merge what make fuzz found into fixtures/fuzz/NAME/kept/ (commit it).
fuzz-keep:
	@ci/fuzz-keep $(FUZZ_NAMES)
# CI: every target briefly (FUZZ_CI_SECONDS each), regressions replayed first.
FUZZ_CI_SECONDS ?= 10
fuzz-ci:
	+@$(SUBMAKE) fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)
fuzz-%: deps
	+@$(SUBMAKE) VARIANT=fuzz build/fuzz/bin/fuzz_$*
	@ci/fuzz build/fuzz/bin/fuzz_$* $(FUZZ_SECONDS) fixtures/corpus/$*
build/fuzz/bin/fuzz_%: build/fuzz/obj/gateway/tests/fuzz_%.o build/fuzz/lib/libsim.a $(foreach l,tools north south store codec core,build/fuzz/lib/libgw_$(l).a)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL) $(SIM_LDLIBS)

# Coverage of the gateway by the unit tests and the scenarios (gcovr HTML report in
# build/coverage/html/, line coverage of gateway/codec/ and of the rest printed).
coverage: deps
	@ci/coverage

# Valgrind memcheck of gwd over a representative set of scenarios (ci/valgrind-scenarios).
valgrind: all
	@ci/valgrind-scenarios --build $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

clean:
	rm -rf build
