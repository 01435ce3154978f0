#!/usr/bin/env bash
# Install the Debian packages gridmap needs, only those missing. Usage:
#   scripts/install-sysdeps.sh [--test]    (--test adds headless Chromium for page tests and
#   the OGC API clients: GDAL, and QGIS 3.22 for Debian's python3; QGIS adds ~930 MB, ~3 min)
set -euo pipefail
pkgs=(python3 python3-venv python3-dev postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting)
command -v npm >/dev/null || pkgs+=(npm)   # Leaflet.draw for the plan map comes from npm
# gdal-bin, python3-qgis + qgis-providers: OAPIF client tests (tests/api/test_ogc_*.py)
[ "${1:-}" = "--test" ] && pkgs+=(chromium fonts-wqy-microhei gdal-bin python3-qgis qgis-providers)
missing=()
for p in "${pkgs[@]}"; do
  case "$p" in
    # python from another installer (pyenv, the machine image) counts when venv works
    python3|python3-venv|python3-dev)
      if command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; then continue; fi ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "gridmap needs these Debian packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
