# The one entry point: make, make test, make demo, make bench, make target, ...
# Everything builds into build/<variant>/; nothing is downloaded except Debian packages.

VARIANT   ?= host
BUILD     ?= build/$(VARIANT)
CC        ?= cc
PKGS      := yaml-0.1 sqlite3
CSTD      := -std=c11 -D_GNU_SOURCE
WARN      := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
OPT       ?= -O2 -g
SAN       ?=
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) $(SAN) $(EXTRA_CFLAGS) -MMD -MP \
             -Igateway/core -Igateway/codec/mbus -Igateway/south -Igateway/north -Isim
LDLIBS_ALL = $(SAN) $(EXTRA_LDFLAGS) -lyaml -lsqlite3 -lm

# One idea per file: every .c under these directories is part of the library.
GW_SRC    := $(wildcard gateway/core/*.c gateway/codec/*/*.c gateway/south/*.c gateway/north/*.c)
SIM_SRC   := $(filter-out sim/hil_main.c,$(wildcard sim/*.c))
TEST_SRC  := $(wildcard gateway/tests/test_*.c sim/tests/test_*.c)

GW_OBJ    := $(GW_SRC:%.c=$(BUILD)/obj/%.o)
SIM_OBJ   := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN  := $(patsubst %.c,$(BUILD)/tests/%,$(notdir $(TEST_SRC)))

BIN       := $(BUILD)/bin
LIBGW     := $(BUILD)/lib/libgw.a
LIBSIM    := $(BUILD)/lib/libsim.a

.PHONY: all deps test unit scenarios test-target target demo bench asan fuzz clean
all: deps $(BIN)/gwd $(BIN)/hil

deps:
	@ci/install-deps

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIBGW): $(GW_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBSIM): $(SIM_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BIN)/gwd: $(BUILD)/obj/gateway/main.o $(LIBGW)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BIN)/hil: $(BUILD)/obj/sim/hil_main.o $(LIBSIM) $(LIBGW)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/obj/gateway/tests/%.o $(LIBGW)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/%: $(BUILD)/obj/sim/tests/%.o $(LIBSIM) $(LIBGW)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

# Unit tests: each test binary prints "N passed, N failed"; ci/run-unit sums them.
unit: all $(TEST_BIN)
	@ci/run-unit $(TEST_BIN)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

clean:
	rm -rf build
