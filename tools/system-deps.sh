#!/usr/bin/env bash
# Best effort: install the Debian tools the full test suite and the benchmarks drive
# (chromium for the browser tests, nginx for the nginx-split config check, wrk for load,
# openssl for the TLS certificate of the HTTP/2 tests, h2load for the HTTP/2 benchmark).
# Without root or apt-get it only reports; the tests that need a missing tool skip with
# a reason, so `make test` still passes on a laptop.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: not installing ${missing[*]} (needs root and apt-get); their tests skip" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; } \
  || echo "system-deps: could not install ${missing[*]}; their tests skip" >&2
# The nginx package starts a system service on port 80: the project only runs its own.
command -v service >/dev/null 2>&1 && service nginx stop >/dev/null 2>&1
exit 0
