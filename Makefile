# Brigade. `make run` and `make test` are the two commands a new machine needs.
.PHONY: run test stop status bench lint

run:            ## install what is missing, start PostgreSQL + NATS, migrate, load the demo
	@scripts/run.sh

test:           ## the whole test suite against real PostgreSQL + NATS
	@scripts/test.sh

stop:           ## stop the local PostgreSQL and NATS
	@scripts/services.sh down

status:
	@scripts/services.sh status

bench:          ## benchmark figures, as ratios to the raw database in the same run (BENCHMARKS.md)
	@scripts/bench.sh

lint:           ## formatting and clippy, as CI runs them
	cargo fmt --all --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
