#!/usr/bin/env bash
# `make install`: create .venv and install the project with its pinned dependencies.
# pip's own output goes to .venv/install.log; the terminal gets a progress line (rewritten in
# place on a terminal, every 15 s otherwise) so a two-minute install never looks stuck.
set -euo pipefail
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
LOG="$VENV/install.log"
started=$(date +%s)

test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
: > "$LOG"
(
    "$VENV/bin/python" -m pip install --upgrade --progress-bar off pip
    "$VENV/bin/python" -m pip install --progress-bar off -e '.[dev]'
) >> "$LOG" 2>&1 &
pid=$!

if [ -t 1 ]; then every=1; else every=15; fi
last_print=0
while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    now=$(date +%s)
    if (( now - last_print < every )); then continue; fi
    last_print=$now
    collected=$(grep -c '^Collecting ' "$LOG" || true)
    step=$(grep -E '^(Collecting|Downloading|Building wheel|Installing collected)' "$LOG" | tail -1 | cut -c1-60 || true)
    line=$(printf '  … install: %3d s, %d packages resolved%s' "$((now - started))" "$collected" "${step:+ ($step)}")
    if [ -t 1 ]; then printf '\r\033[K%s' "$line"; else printf '%s\n' "$line"; fi
done
if ! wait "$pid"; then
    [ -t 1 ] && printf '\r\033[K'
    echo "  ✗ install failed after $(( $(date +%s) - started )) s; the last lines of $LOG:"
    tail -n 25 "$LOG"
    exit 1
fi
[ -t 1 ] && printf '\r\033[K'
words=$(grep '^Successfully installed' "$LOG" | tail -1 | wc -w)
installed=$(( words > 2 ? words - 2 : 0 ))
printf '  ✓ %-34s %7s s   %s package%s installed or updated (pip log: %s)\n' "install" \
    "$(( $(date +%s) - started ))" "$installed" "$([ "$installed" = 1 ] || echo s)" "$LOG"
