# hxchat developer tasks. `make` or `make help` lists them.
#
# Generated files are committed: views/*_templ.go (templ), static/css/app.css
# (Tailwind) and static/js/*.js (vendored from node_modules). After editing a
# .templ file, tailwind.config.js or static/css/input.css run `make generate`
# and commit the result; `make test` fails when they are stale.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# The local @tailwindcss/cli from package-lock.json; --no-install makes npx fail
# instead of quietly fetching another version when node_modules is missing.
TAILWIND := npx --no-install @tailwindcss/cli -i static/css/input.css -o static/css/app.css

# Paths that `make generate` and `make vendor` write, checked by check-generated.
GENERATED := views static/css static/js

# The steps of `make test`, run in this order, stopping at the first failure.
# Append further suites here (e.g. TEST_STEPS += e2e) rather than to the recipe.
TEST_STEPS := check-generated fmt-check vet test-go
TEST_STEPS += e2e

# The steps of `make check`, the quick loop: those of `make test` before the
# e2e suite, with the Go tests run under -short (see test-go-short).
CHECK_STEPS := check-generated fmt-check vet test-go-short

.PHONY: help generate templ css css-watch templ-watch vendor check-generated \
	fmt-check vet test-go test-go-short e2e test check bench run dev node_modules

help: ## List the targets
	@echo 'Usage: make TARGET'
	@echo
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z0-9_-]+:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# node_modules is (re)installed from the lock file when it is missing or the
# lock file changed. npm ci never runs install-time downloads for this project.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci
	@touch $@

node_modules: node_modules/.package-lock.json ## Install the pinned front-end packages (npm ci) if needed

generate: node_modules ## Regenerate templ Go code, then the Tailwind CSS
	go tool templ generate
	@$(MAKE) css

templ: ## Regenerate templ Go code only
	go tool templ generate

css: node_modules ## Build static/css/app.css (minified) from static/css/input.css
	$(TAILWIND) --minify

# The designer loop (make dev) and its pieces. Open DEV_URL: templ's proxy,
# in front of the server on DEV_APP_ADDR, adds a script to every page that
# reloads the page when told to.
DEV_PORT ?= 7331
DEV_APP_ADDR ?= 127.0.0.1:8080
DEV_URL = http://127.0.0.1:$(DEV_PORT)

# Tailwind's watcher follows only the directories of its sources; input.css
# names tailwind.config.js in an @source line so that it follows the config
# too. --minify here too, so what the watcher leaves behind is what CI
# expects.
css-watch: node_modules ## Rebuild static/css/app.css whenever a view, input.css or tailwind.config.js changes
	$(TAILWIND) --minify --watch=always

# templ-watch regenerates the Go code of every saved .templ file and tells
# the pages open through its proxy to reload. A text-only edit reaches the
# running server without a restart (templ's dev mode reads the text from
# files in $TMPDIR); a change to Go code, in a .go or a .templ file,
# restarts `go run .`, and the reloading page waits in the proxy until the
# new server answers. The server reads /static from disk (-static-dir), so
# a CSS change needs no restart: reload-watch reloads the pages for it.
# DEV_FLAGS: open mode by default, so every chat page shows without signing
# in (the gallery shows the account pages); `make dev DEV_FLAGS=` runs with
# accounts.
DEV_FLAGS ?= -open
templ-watch: ## Watch .templ and Go files: regenerate, restart the server on Go changes, reload the pages
	go tool templ generate --watch --open-browser=false \
		--proxy=http://$(DEV_APP_ADDR) --proxyport=$(DEV_PORT) \
		--cmd='go run . -dev -static-dir static -addr $(DEV_APP_ADDR) $(DEV_FLAGS)'

.PHONY: reload-watch
reload-watch: ## Reload the pages open through templ's proxy when static/css/app.css or static/js changes
	go run ./cmd/devreload -proxy $(DEV_URL) static/css/app.css $(wildcard static/js/*.js)

vendor: node_modules ## Copy htmx and its websocket and SSE extensions from node_modules into static/js
	@mkdir -p static/js
	cp node_modules/htmx.org/dist/htmx.min.js static/js/htmx.min.js
	@# htmx-ext-ws 2.x; htmx.org/dist/ext/ws.js is the old 1.x extension.
	cp node_modules/htmx-ext-ws/dist/ws.min.js static/js/ws.min.js
	@# htmx-ext-sse 2.2.x, declared compatible with htmx 2.0.x, for compatibility mode.
	cp node_modules/htmx-ext-sse/dist/sse.min.js static/js/sse.min.js

check-generated: node_modules ## Fail if committed generated files differ from a fresh generate
	go tool templ generate
	@$(MAKE) css vendor
	@if ! git diff --quiet -- $(GENERATED) || [ -n "$$(git status --porcelain -- $(GENERATED))" ]; then \
		echo 'generated files are stale: run make generate and commit' >&2; \
		git status --short -- $(GENERATED) >&2; \
		git diff --stat -- $(GENERATED) >&2; \
		exit 1; \
	fi

# templ fmt -fail rewrites badly formatted files in place and exits 1, so a
# failing check leaves the fix in the work tree.
fmt-check: ## Fail if .templ or Go files are not formatted
	go tool templ fmt -fail .
	@unformatted="$$(git ls-files -z '*.go' | xargs -0 -r gofmt -l)"; \
	if [ -n "$$unformatted" ]; then \
		echo 'gofmt needed on:' >&2; echo "$$unformatted" >&2; exit 1; \
	fi

vet: ## Run go vet
	go vet ./...

# The Go tests run with the race detector and never from the cache, through
# gotestsum (a tool line in go.mod): a line per package, the output of each
# failed test, then a summary listing every skipped test with its reason,
# and a DONE line with the counts. The recipe ends with one line saying
# what was skipped and why, which jq reads from the run's JSON, and adds it
# to the file HXCHAT_SKIPS_FILE names when `make test` sets it.
# GO_TEST_PACKAGES narrows a run, e.g. `make test-go GO_TEST_PACKAGES=./hub/`.
GO_TEST_FLAGS := -race -count=1
GO_TEST_PACKAGES ?= ./...
GOTESTSUM := go tool gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg

# SKIPS_JQ turns a run's test2json events into "none" or "N tests, WHY",
# WHY being each skipped test's last logged line (t.Skip's reason), counted
# per reason when there are several.
define SKIPS_JQ
[ .[] | select(.Test != null) ]
| group_by([.Package, .Test])
| map(select(any(.[]; .Action == "skip"))
	| [ .[] | select(.Action == "output") | .Output | select(test("^ +[^ ]+\\.go:[0-9]+: ")) ]
	| (last // "no reason given") | sub("^ +[^ ]+\\.go:[0-9]+: "; "") | rtrimstr("\n"))
| if length == 0 then "none"
  else (group_by(.) | map({n: length, why: .[0]}) | sort_by(-.n)) as $$reasons
	| "\(length) test\(if length > 1 then "s" else "" end), "
	  + ($$reasons | map(if ($$reasons | length) > 1 then "\(.n) \(.why)" else .why end) | join("; "))
  end
endef
export SKIPS_JQ

# go-test runs the Go tests with the go test flags $(1) added.
define go-test
	@json=$$(mktemp); trap 'rm -f "$$json"' EXIT; status=0; \
	$(GOTESTSUM) --jsonfile "$$json" -- $(GO_TEST_FLAGS) $(1) $(GO_TEST_PACKAGES) || status=$$?; \
	if command -v jq >/dev/null; then skipped=$$(jq -rs "$$SKIPS_JQ" "$$json"); \
	else skipped='see the summary above (install jq to have them on this line)'; fi; \
	echo "skipped: $$skipped"; \
	if [ -n "$${HXCHAT_SKIPS_FILE:-}" ]; then echo "Go: $$skipped" >> "$$HXCHAT_SKIPS_FILE"; fi; \
	exit $$status
endef

test-go: ## Run the Go tests with the race detector; the last line says what was skipped and why
	$(call go-test,)

# -short leaves out the tests that start whole servers or clusters (they
# check testing.Short()); `make test` runs them.
test-go-short: ## Run the Go tests with the race detector and -short (no long integration tests)
	$(call go-test,-short)

# The Playwright suite in e2e/ builds and serves the real binary and drives
# Debian's Chromium (/usr/bin/chromium); it downloads no browser.
# e2e/node_modules is (re)installed, like node_modules, when it is missing
# or its lock file changed.
e2e/node_modules/.package-lock.json: e2e/package.json e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund
	@touch $@

e2e: e2e/node_modules/.package-lock.json ## Run the end-to-end tests in a real browser (Playwright, e2e/)
	cd e2e && npx --no-install playwright test

# test runs TEST_STEPS and ends with one line saying what the Go tests and
# the e2e suite skipped, and why: each of those steps adds its own line to
# the file HXCHAT_SKIPS_FILE names.
test: node_modules ## Run every check CI runs: generated files, formatting, vet, Go tests, e2e; says what was skipped
	@skips=$$(mktemp); trap 'rm -f "$$skips"' EXIT; \
	for step in $(TEST_STEPS); do \
		echo "==> make $$step"; \
		HXCHAT_SKIPS_FILE=$$skips $(MAKE) $$step || exit 1; \
	done; \
	if grep -qv ': none$$' "$$skips"; then \
		echo "==> make test passed; skipped: $$(paste -sd '|' "$$skips" | sed 's/|/; /g')"; \
	else \
		echo "==> make test passed; skipped: nothing ($$(cut -d: -f1 "$$skips" | paste -sd ',' | sed 's/,/, /g'))"; \
	fi

check: node_modules ## Quick loop before a commit (under a minute warm): generated files, formatting, vet, Go tests with -short; no e2e
	@for step in $(CHECK_STEPS); do \
		echo "==> make $$step"; \
		$(MAKE) $$step || exit 1; \
	done

bench: ## Run the hub and store benchmarks
	go test -run '^$$' -bench . -benchmem ./hub/ ./store/...

# load builds the server and runs the load presets against it: the tool
# starts the binary itself for each preset (fresh database, high send
# limits), checks that no message is lost, duplicated or reordered, and
# prints a table. It takes several minutes and wants the whole machine, so
# it is not part of `make test` (which runs the short preset in Go tests).
# Override e.g. `make load LOAD_PRESETS=bigroom,slow LOAD_FLAGS=-v`.
LOAD_ADDR ?= 127.0.0.1:18090
LOAD_PRESETS ?= all
LOAD_BIN ?= $(or $(TMPDIR),/tmp)/hxchat-load
LOAD_FLAGS ?=
.PHONY: load
load: ## Build the server and run the load presets (minutes; not in make test)
	go build -o $(LOAD_BIN) .
	go run ./cmd/loadtest -preset $(LOAD_PRESETS) -url http://$(LOAD_ADDR) -server-bin $(LOAD_BIN) $(LOAD_FLAGS)

run: ## Run the server (go run .)
	go run .

# The three watchers run as jobs of one make; Ctrl-C reaches all of them
# (templ stops the server it started). css-watch uses --watch=always because
# make gives only one parallel job a terminal stdin.
dev: node_modules ## Designer loop: open http://127.0.0.1:7331, every save shows there by itself; Ctrl-C stops all
	@echo '==> make dev: open $(DEV_URL)/ (the server is on http://$(DEV_APP_ADDR)); Ctrl-C stops everything'
	@$(MAKE) -j3 templ-watch css-watch reload-watch
