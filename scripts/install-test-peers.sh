#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to (.ci/apt-packages.txt) when they are
# missing. Needs root; as another user it only says what is missing. Enables the `contrib`
# component first when a listed package lives there (the Open JTalk voice does).
set -euo pipefail
cd "$(dirname "$0")/.."
list=.ci/apt-packages.txt
mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$list" | awk '{print $1}')
[ "${#wanted[@]}" -gt 0 ] || exit 0
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ "${#missing[@]}" -gt 0 ] || { echo "test peers: all ${#wanted[@]} installed"; exit 0; }
if [ "$(id -u)" != 0 ]; then
  echo "test peers missing (run as root to install): ${missing[*]}" >&2
  exit 0
fi
if grep -q '^hts-voice' "$list"; then
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ] && ! grep -qE '^Components:.*contrib' "$src"; then
    sed -i -E 's/^(Components:.*main)(.*)$/\1 contrib\2/' "$src"
  fi
fi
echo "test peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
