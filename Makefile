# pramagent — the two commands of the README are `make run` and `make test`.
POLICIES ?= policies
ifeq ($(shell id -u),0)
RUNDIR ?= /run/pramagent
STATEDIR ?= /var/lib/pramagent
else
RUNDIR ?= /tmp/pramagent-$(shell id -u)
STATEDIR ?= $(RUNDIR)/state
endif

.PHONY: run build test bench check-proto
## Install system packages if needed, build (release) and run pramagent-auditd + pramagentd on $(POLICIES).
run:
	RUNDIR=$(RUNDIR) STATEDIR=$(STATEDIR) scripts/run $(POLICIES)

build:
	swift build -c release

## Every test (Swift Testing), as CI runs them.
test:
	scripts/bootstrap
	swift test --disable-xctest

## Latency against the echo floor and throughput with 16 connections (daemon must be running).
bench:
	.build/release/pramagentctl bench --socket $(RUNDIR)/decision.sock --floor --duration 5
	.build/release/pramagentctl bench --socket $(RUNDIR)/decision.sock --connections 16 --depth 4 --duration 5

check-proto:
	scripts/regen-proto --check
