# Hydra: the two entry points of the README, and the steps they are made of.
#   make run   installs what is missing, builds, starts `hydra serve` (SQLite under .hydra/)
#   make test  installs what is missing, builds, runs every test suite
BUILD ?= build
JOBS ?= $(shell nproc)
HYDRA_LISTEN ?= 127.0.0.1:8080

.PHONY: run test deps build web asan fuzz bench clean format

run: build
	$(BUILD)/bin/hydra serve --listen $(HYDRA_LISTEN) --data-dir .hydra

test: deps
	scripts/test.sh

deps:
	scripts/install-deps.sh

build: deps
	cmake -G Ninja -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)
	scripts/build-web.sh

web:
	scripts/build-web.sh

bench: build
	$(BUILD)/bench/api_bench

format:
	find src tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz
