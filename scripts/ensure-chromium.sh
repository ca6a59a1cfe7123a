#!/usr/bin/env bash
# Debian's Chromium for the browser tests. Playwright's own browser download cannot reach its
# host from these machines, so the tests drive this build through `executable_path`.
# Idempotent: does nothing (not even `apt-get update`) when Chromium is already installed.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x $CHROMIUM ]]; then
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
# Other setup scripts may be installing packages at the same moment: wait for dpkg's lock.
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600 -q)
"${APT[@]}" update
"${APT[@]}" install -y --no-install-recommends chromium fonts-dejavu-core

[[ -x $CHROMIUM ]] || { echo "chromium installed but $CHROMIUM is missing" >&2; exit 1; }
"$CHROMIUM" --version
