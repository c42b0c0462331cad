# The two commands: `make run` and `make test`. Everything else is what they call.
SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
DATA ?= ./vitrine-data
PORT ?= 8080

.PHONY: setup run test bench samples clean

setup:
	@bash scripts/setup.sh

samples: setup
	@bash scripts/make-samples.sh samples

run: setup samples
	@if [ ! -d "$(DATA)/db" ]; then node bin/vitrine.js ingest samples --data $(DATA); else echo "run: $(DATA) already has an archive; skipping the sample ingest"; fi
	@node bin/vitrine.js status --data $(DATA)
	@echo; echo '$$ npx vitrine search "harbour" --data $(DATA)'
	@node bin/vitrine.js search "harbour" --data $(DATA)
	@echo; echo "Serving the web UI (Ctrl-C stops it). A first admin token is printed once, when the archive has no users yet;"
	@echo "otherwise log in with a token from: npx vitrine user add NAME --role admin --data $(DATA)"
	@node bin/vitrine.js serve --data $(DATA) --host 127.0.0.1 --port $(PORT) --init-admin

test: setup
	@npm test --silent

bench: setup
	@node bench/run.ts

clean:
	rm -rf vitrine-data samples
