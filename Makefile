# Shortcuts for ./dev, the project's real entry point (it sets up .venv itself).
# `make bench` is the documented way to run the benchmarks (docs/benchmarks.md).

.PHONY: help run test browser lint bench demo security faults

help:
	@sed -n 's/^## //p' Makefile

## make run       set up, migrate, load the demo data and serve on :8000 (./dev run)
run:
	./dev run

## make test      the whole test suite, browser suite included (./dev test)
test:
	./dev test

## make browser   only the browser suite (Playwright driving Debian's Chromium)
browser:
	./dev test -m browser kindred/tests_browser

## make lint      ruff, ruff format --check, mypy --strict, makemigrations --check
lint:
	./dev lint

## make bench     benchmarks on PostgreSQL; BENCH_ARGS="--clients 5000" to change them
bench:
	./dev bench $(BENCH_ARGS)

## make demo      load the synthetic demo practice into the development database
demo:
	./dev manage seed_demo --if-empty

## make security  the security battery (authz, fuzz, xss, static gates) as JSON figures in
##                bench/results/security/; SECURITY_ARGS="--full" or "--only static"
security:
	./dev security $(SECURITY_ARGS)

## make faults    the fault-injection part (database crash, Redis down, worker killed)
faults:
	./dev faults $(FAULTS_ARGS)
