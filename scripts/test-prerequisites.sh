#!/usr/bin/env bash
# What `npm test` needs from the machine, installed from Debian's packages when missing (npm runs
# this as `pretest`): Chromium for the browser test (never a downloaded browser), Java 17 and
# Maven for the Kafka broker scripts/kafka.sh runs, promtool (Debian's prometheus package) for the
# alerting rules. Needs root or sudo only when something is missing.
set -euo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v promtool >/dev/null || missing+=(prometheus)
((${#missing[@]} == 0)) && exit 0

echo "installing from Debian's packages for the tests: ${missing[*]}"
sudo=""; ((EUID == 0)) || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
  || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; }
