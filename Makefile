# Linux Patch API + Linux Patch Manager — the two set-up commands are `make demo` and `make test`.
SHELL := /bin/sh
CARGO ?= cargo

.PHONY: all build prereqs test lint unit demo demo-stop bench check-shared check-layers clean packages test-packages

all: build

build:
	$(CARGO) build --workspace --bins

prereqs:
	./scripts/install-prereqs.sh

## make test: everything CI runs — prerequisites, fmt, clippy, the contract crate's purity, unit and
## integration tests (real apt/dpkg sandboxes, real TLS, the real agent binary), then the native packages
## (built once from a release build; .deb on a real systemd, RPM, Arch, OpenRC, APKBUILD file lists).
test: prereqs lint check-shared unit test-packages

## make packages: the native packages this machine can build, into dist/ (docs/packaging.md).
packages: prereqs
	./scripts/packages.sh

## make test-packages: build them and install them for real (tests/packaging/run-all.sh).
test-packages: prereqs
	./tests/packaging/run-all.sh

lint: check-layers
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## check-layers: the manager's one-way layering (DESIGN §5.2): no crate::http outside http/, db/ at the
## bottom, no import circles.
check-layers:
	./scripts/check-layers.sh

check-shared:
	./scripts/check-shared-deps.sh

unit:
	$(CARGO) build --workspace --bins
	@mkdir -p target && ./scripts/hostcheck.sh > target/hostcheck.before
	$(CARGO) test --workspace
	@./scripts/hostcheck.sh > target/hostcheck.after
	@if diff -u target/hostcheck.before target/hostcheck.after; then \
	  echo "host package databases unchanged by the tests"; \
	else echo "the tests changed this machine's package databases (see the diff above)"; exit 1; fi

## make demo: build both binaries; run the agent on 127.0.0.1:12443 (throw-away certificates), the manager on
## https://localhost:8443 (embedded PostgreSQL, internal CA) and 20 simulated agents enrolled with it through the
## real self-enrolment flow; print curl commands, the URL and the admin's password.
demo:
	./scripts/demo.sh

demo-stop:
	@n=0; for f in demo/agents/*/agent.pid; do \
	  [ -f "$$f" ] || continue; kill "$$(cat "$$f")" 2>/dev/null && n=$$((n+1)); rm -f "$$f"; \
	done; echo "demo: $$n simulated agents stopped"
	@for p in agent manager; do \
	  if [ -f demo/$$p.pid ] && kill "$$(cat demo/$$p.pid)" 2>/dev/null; then echo "demo $$p stopped"; else echo "no demo $$p running"; fi; \
	  rm -f demo/$$p.pid; \
	done

## make bench: figures (not assertions) for the read API on this machine's real dpkg database, the manager polling
## a simulated fleet (sweeps, page times, RSS at 2,500 and 10,000 hosts), the fleet simulator's start time and
## memory at 2,500 and 10,000 hosts, and a security-only deployment to 2,500 and 10,000 simulated hosts
## (dispatch and finish times, console page times during the run vs idle, RSS), and the reports (compliance page,
## CSV at 2,500 and 10,000 hosts, PDFs at 2,500).
bench: prereqs
	$(CARGO) build --release --workspace --bins
	$(CARGO) bench -p linux-patch-tests --bench agent_read
	$(CARGO) bench -p linux-patch-tests --bench fleet
	$(CARGO) bench -p linux-patch-tests --bench manager_fleet
	$(CARGO) bench -p linux-patch-tests --bench deployments
	$(CARGO) bench -p linux-patch-tests --bench relay
	$(CARGO) bench -p linux-patch-tests --bench reports

clean:
	$(CARGO) clean
	rm -rf demo dist
