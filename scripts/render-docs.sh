#!/usr/bin/env bash
# Renders the documentation's diagrams from their text sources, so that a change to a diagram is a
# change to a text file, reviewed like code:
#
#   bash scripts/render-docs.sh          # docs/images/*.dot -> docs/images/*.svg
#
# Needs Graphviz's dot (Debian's graphviz package), which it installs when missing and it may.
# The rendered images are committed, so that the docs read well without running this.
set -euo pipefail

cd "$(dirname "$0")/.."

if ! command -v dot >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y -q graphviz >/dev/null
    else
        echo "render-docs: Graphviz's dot is not installed (Debian: apt-get install graphviz)" >&2
        exit 1
    fi
fi

for source in docs/images/*.dot; do
    target="${source%.dot}.svg"
    dot -Tsvg "$source" -o "$target"
    echo "rendered $target"
done
