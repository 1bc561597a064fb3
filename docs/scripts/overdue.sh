#!/usr/bin/env bash
# overdue.sh: the loops whose customer is waiting past the due they were told.
#
# Prints one line per overdue loop, most late first, tab-separated:
#     #ID  CUSTOMER  PROMISE  DUE
# DUE is the due the customer was told, in this machine's time zone (or TZ).
# Any option of `loopcloser list` narrows it down:
#     overdue.sh --owner luca
#     overdue.sh --tag billing --store /srv/desk/loops/luca.json
#
# Exit status, as grep's: 0 overdue loops were printed, 1 nothing is overdue,
# 2 the loops could not be read (loopcloser's reason is on stderr, as JSON).
# Needs jq 1.6 or newer. See docs/recipes.md.

set -uo pipefail

if ! command -v jq > /dev/null; then
    echo "overdue.sh: jq is not installed (https://jqlang.github.io/jq/)" >&2
    exit 2
fi
loops=$(loopcloser list --overdue --json "$@") || exit 2
if [ "$(jq length <<< "$loops")" -eq 0 ]; then
    exit 1
fi
jq -r '.[] | [
    "#\(.id)", .customer, .promise,
    (.expected_due | fromdateiso8601 | strflocaltime("%a %d %b %H:%M"))
] | @tsv' <<< "$loops" || exit 2
