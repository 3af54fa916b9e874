#!/usr/bin/env bash
# Source checks the compiler does not make (STYLE.md section 13, 8):
#  1. banned C functions: sprintf vsprintf strcpy strcat strtok gets atoi atol system
#     (called, i.e. followed by '('), in every *.c / *.h we own;
#  2. engine-name tests outside agent/engine/: string comparisons against an engine
#     name, and ==/!=/case on MIGSET_ENGINE_PG|MYSQL|SQLITE, in agent/ (except
#     agent/engine/ and agent/sqlsplit/, which are per-engine by design) and
#     coordinator/. The runner and the coordinator branch on capabilities.
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

banned='(^|[^A-Za-z0-9_.>])(sprintf|vsprintf|strcpy|strcat|strtok|gets|atoi|atol|system)[[:space:]]*\('
mapfile -t files < <(c_files)
if ((${#files[@]} > 0)); then
    hits=$(grep -HnE "$banned" "${files[@]}" | code_lines || true)
    if [[ -n $hits ]]; then
        echo "lint: banned function (use snprintf, sw_strbuf, strtok_r, sw_parse_int64, posix_spawn):" >&2
        echo "$hits" >&2
        status=1
    fi
fi

names='"(pg|postgres|postgresql|mysql|mariadb|sqlite|sqlite3)"'
str_cmp="str(n?case)?n?cmp[[:space:]]*\\([^;]*$names"
enum_cmp='((==|!=)[[:space:]]*MIGSET_ENGINE_(PG|MYSQL|SQLITE)\b|\bMIGSET_ENGINE_(PG|MYSQL|SQLITE)[[:space:]]*(==|!=)|case[[:space:]]+MIGSET_ENGINE_(PG|MYSQL|SQLITE)\b)'
mapfile -t scoped < <(c_files | grep -E '^(agent|coordinator)/' | grep -Ev '^agent/(engine|sqlsplit)/' || true)
if ((${#scoped[@]} > 0)); then
    hits=$(grep -HnE "$str_cmp|$enum_cmp" "${scoped[@]}" | code_lines || true)
    if [[ -n $hits ]]; then
        echo "lint: engine-name test outside agent/engine (branch on ENGINE_CAP_* instead):" >&2
        echo "$hits" >&2
        status=1
    fi
fi

if ((status == 0)); then
    echo "lint: ok (${#files[@]} files)" >&2
fi
exit "$status"
