#!/usr/bin/env bash
# Source checks the compiler does not make (STYLE.md sections 2, 8, 13):
#  1. banned C functions: sprintf vsprintf strcpy strcat strtok gets atoi atol system
#     (called, i.e. followed by '('), in every *.c / *.h we own;
#  2. engine-name tests outside agent/engine/: string comparisons against an engine
#     name, and ==/!=/case on MIGSET_ENGINE_PG|MYSQL|SQLITE, in agent/ (except
#     agent/engine/ and proto/sqlsplit/, which are per-engine by design) and
#     coordinator/. The runner and the coordinator branch on capabilities;
#  3. layering (STYLE.md section 2): proto/ includes no agent/coordinator header,
#     agent/ no coordinator header, coordinator/ (except cli/, and the store's schema
#     migration in coordinator/store/store_open.c) no agent header,
#     engine_impl.h only inside agent/engine/, coordinator/wave/ none of the
#     libmicrohttpd, SQLite, curl or pthread headers, and in coordinator/ only the store's
#     backends include sqlite3.h (store_db_sqlite.c) and libpq-fe.h (store_db_pg.c).
# This is a grep, not a parser: comment lines are skipped; an engine-name check
# written some other way (a lookup table, a ternary) is not caught and is left to
# review. Usage: tools/lint.sh [REPO_ROOT]. Exit 1 with file:line on any finding.
set -euo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$root"

# Our C sources, never build trees or vendored code.
c_files()
{
    git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null |
        grep -Ev '^(build|build-[^/]*|third_party|vendor)/' || true
}

# Drops lines whose code part starts as a comment (" * ...", "// ...", "/* ...").
code_lines()
{
    grep -Ev '^[^:]+:[0-9]+:[[:space:]]*(\*|//|/\*)' || true
}

status=0
mapfile -t all_files < <(c_files)

# check SCOPE EXCLUDE PATTERN MESSAGE: reports lines matching the extended regex
# PATTERN in our C files whose path matches SCOPE and not EXCLUDE ('' = none).
check()
{
    local scope=$1 exclude=$2 pattern=$3 message=$4 hits
    local -a files
    mapfile -t files < <(printf '%s\n' "${all_files[@]}" | grep -E "$scope" |
        grep -Ev "${exclude:-^$}" || true)
    ((${#files[@]} > 0)) || return 0
    hits=$(grep -HnE "$pattern" "${files[@]}" | code_lines || true)
    if [[ -n $hits ]]; then
        echo "lint: $message:" >&2
        echo "$hits" >&2
        status=1
    fi
}

check '' '' \
    '(^|[^A-Za-z0-9_.>])(sprintf|vsprintf|strcpy|strcat|strtok|gets|atoi|atol|system)[[:space:]]*\(' \
    'banned function (use snprintf, sw_strbuf, strtok_r, sw_parse_int64, posix_spawn)'

names='"(pg|postgres|postgresql|mysql|mariadb|sqlite|sqlite3)"'
str_cmp="str(n?case)?n?cmp[[:space:]]*\\([^;]*$names"
enum_cmp='((==|!=)[[:space:]]*MIGSET_ENGINE_(PG|MYSQL|SQLITE)\b|\bMIGSET_ENGINE_(PG|MYSQL|SQLITE)[[:space:]]*(==|!=)|case[[:space:]]+MIGSET_ENGINE_(PG|MYSQL|SQLITE)\b)'
check '^(agent|coordinator)/' '^agent/engine/' "$str_cmp|$enum_cmp" \
    'engine-name test outside agent/engine (branch on ENGINE_CAP_* instead)'

# Layering (STYLE.md section 2): who may include whose headers.
agent_inc='#[[:space:]]*include[[:space:]]*"(engine|runner|daemon)/'
coord_inc='#[[:space:]]*include[[:space:]]*"(wave|store|http|sched|cli)/'
check '^proto/' '' "$agent_inc|$coord_inc" 'proto/ includes a header of agent/ or coordinator/'
check '^agent/' '' "$coord_inc" 'agent/ includes a coordinator header'
# Exception: coordinator/store/store_open.c migrates the store's own schema with the
# runner at startup (engine/engine.h, runner/runner.h only); the rest of the store, and
# the store's public header, stay free of agent headers.
check '^coordinator/' '^coordinator/(cli/|store/store_open\.c$)' "$agent_inc" \
    'coordinator code other than cli/ includes an agent header'
check '^coordinator/store/store_open\.c$' '' \
    '#[[:space:]]*include[[:space:]]*"daemon/|#[[:space:]]*include[[:space:]]*"(engine|runner)/[^"]*_impl\.h"' \
    'store_open.c may include only engine/engine.h and runner/runner.h of the agent'
check '' '^agent/engine/' '#[[:space:]]*include[[:space:]]*"([^"]*/)?engine_impl\.h"' \
    'engine_impl.h is for the drivers and engine.c only'
# The store's backends: only store_db_sqlite.c / store_db_pg.c talk to SQLite / libpq;
# every other store module goes through the backend-neutral helpers of store_impl.h.
check '^coordinator/' '^coordinator/store/store_db_sqlite\.c$' \
    '#[[:space:]]*include[[:space:]]*<sqlite3\.h>' \
    'coordinator code other than coordinator/store/store_db_sqlite.c includes sqlite3.h'
check '^coordinator/' '^coordinator/store/store_db_pg\.c$' \
    '#[[:space:]]*include[[:space:]]*<libpq-fe\.h>' \
    'coordinator code other than coordinator/store/store_db_pg.c includes libpq-fe.h'
check '^coordinator/wave/' '' \
    '#[[:space:]]*include[[:space:]]*<(microhttpd\.h|sqlite3\.h|curl/|pthread\.h)' \
    'coordinator/wave is pure: no HTTP, SQLite, curl or thread headers'

if ((status == 0)); then
    echo "lint: ok (${#all_files[@]} files)" >&2
fi
exit "$status"
