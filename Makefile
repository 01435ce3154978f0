# gridmap: `make demo` and `make test` work on a fresh Debian machine as root.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test fuzz bench lint install sysdeps sysdeps-test db clean

$(BIN)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Leaflet.draw (plan map drawing tools) exists only on npm: installed into an ignored folder
# and served by gridmap itself, never from a CDN
DRAW := layers/static/vendor/node_modules/leaflet-draw/dist/leaflet.draw.js
# Leaflet.VectorGrid (buildings of big districts as vector tiles on /map): same folder, same
# command (npm may prune what a --no-save install did not name, so all are named each time)
VECTORGRID := layers/static/vendor/node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.js
# Swagger UI (/docs) and ReDoc (/redoc): same folder, same command. --ignore-scripts: none of
# these needs a build step, and swagger-ui-dist's @scarf/scarf postinstall would phone home
SWAGGER_UI := layers/static/vendor/node_modules/swagger-ui-dist/swagger-ui-bundle.js
REDOC := layers/static/vendor/node_modules/redoc/bundles/redoc.standalone.js
# Apache ECharts (the 数字驾驶舱's charts on /map/cockpit): same folder, same command
ECHARTS := layers/static/vendor/node_modules/echarts/dist/echarts.min.js
# PMTiles readers (a pmtiles:// basemap, layers/basemaps.py): same folder, same command
PMTILES_JS := layers/static/vendor/node_modules/protomaps-leaflet/dist/protomaps-leaflet.js
NPM_ASSETS := $(DRAW) $(VECTORGRID) $(SWAGGER_UI) $(REDOC) $(ECHARTS) $(PMTILES_JS)
$(NPM_ASSETS) &:
	npm install --prefix layers/static/vendor --no-audit --no-fund --no-save --ignore-scripts \
		leaflet-draw@1.0.4 leaflet.vectorgrid@1.3.0 swagger-ui-dist@5.35.0 redoc@2.5.4 \
		echarts@6.0.0 pmtiles@4.5.0 protomaps-leaflet@5.1.0

install: sysdeps $(BIN)/.installed $(NPM_ASSETS)

sysdeps:
	@scripts/install-sysdeps.sh

sysdeps-test:
	@scripts/install-sysdeps.sh --test

db: install
	$(BIN)/gridmap db start
	$(BIN)/gridmap migrate

## make demo: set up, start the embedded PostGIS, load the demo district, serve map and API
demo: db
	$(BIN)/gridmap demo
	@echo "map: http://$(HOST):$(PORT)/map   API: http://$(HOST):$(PORT)/docs"
	$(BIN)/gridmap serve --host $(HOST) --port $(PORT)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy gis layers api

## make test: lint, import contracts, and pytest on a real PostGIS (each run in its own dbs)
test: sysdeps-test install
	$(BIN)/gridmap db start
	$(MAKE) lint
	$(BIN)/pytest

## make fuzz: the schemathesis run of make test with a bigger budget (FUZZ_EXAMPLES per
## operation and generation mode, seeded): no 5xx, every answer as the OpenAPI document says
FUZZ_EXAMPLES ?= 25
fuzz: install
	$(BIN)/gridmap db start
	GRIDMAP_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest tests/api/test_fuzz.py -q

## make bench: benchmarks against peers; figures go to bench/results/*.json
bench: db
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	-$(BIN)/gridmap db stop
	rm -rf .gridmap $(VENV) layers/static/vendor
