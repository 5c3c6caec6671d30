#!/usr/bin/env bash
# Make `promtool` available (Debian's prometheus package ships /usr/bin/promtool).
# Idempotent and silent when promtool is already on PATH. Without root or apt it says why and
# skips (exit 0), except under CI=true, where the deploy tests need it: then it fails (exit 1).
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  exit 0
fi

skip() {
  echo "promtool.sh: promtool not installed: $1" >&2
  if [[ "${CI:-}" == "true" ]]; then
    exit 1
  fi
  echo "promtool.sh: the promtool tests will be skipped (they fail under CI=true)" >&2
  exit 0
}

command -v apt-get >/dev/null 2>&1 || skip "no apt-get on this machine (install Prometheus' promtool by hand)"
if [[ "$(id -u)" != "0" ]]; then
  skip "needs root for apt-get (run: sudo $0)"
fi

log="$(mktemp)"
policy=/usr/sbin/policy-rc.d
added_policy=""
cleanup() {
  rm -f "$log"
  if [[ -n "$added_policy" ]]; then rm -f "$policy"; fi
}
trap cleanup EXIT

# Only the tool is wanted: keep the package's Prometheus daemon from being started.
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  added_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
# The package lists may be empty on a fresh machine: update only when apt knows no candidate.
if ! apt-cache policy prometheus 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; skip "apt-get update failed"; }
fi
if ! apt-get install -y -qq --no-install-recommends prometheus >"$log" 2>&1; then
  cat "$log" >&2
  skip "apt-get install prometheus failed"
fi
command -v promtool >/dev/null 2>&1 || skip "the prometheus package did not provide promtool"
echo "promtool.sh: installed $(promtool --version 2>&1 | head -n 1)"
