#!/usr/bin/env bash
# Runs the runtime's and the CDI layer's tests (and the TCK's own) on JDK 25, beside the main build
# on JDK 17. The JDK is found at DLM_JDK25_HOME, else where Temurin 25 installs itself; without it
# this fails rather than skip, so CI never passes without the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jdk="${DLM_JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
if [[ ! -x "$jdk/bin/java" ]]; then
  echo "No JDK 25 at $jdk: install Temurin 25 or point DLM_JDK25_HOME at one" >&2
  exit 1
fi
# Formatting is checked by the JDK 17 build; the formatter's plugin resolves differently on 25.
# Tests that need virtual threads skip themselves on JDK 17; here they must run, so they fail
# instead of skipping (Surefire hands -D properties on to the test JVM).
# The TCK's own tests, and the self-tests of its tiers in the runtime's module, are left to the
# JDK 17 build (they test the kit, not the runtime).
JAVA_HOME="$jdk" mvn -B verify -pl impl,cdi-extension -am -Dspotless.check.skip=true \
  -Ddlm.test.virtualThreads=required -Ddlm.tck.ownTests.skip=true \
  '-Ddlm.kitSelfTests.exclude=io/dlm/impl/selftest/**'

