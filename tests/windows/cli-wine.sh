#!/usr/bin/env bash
# The cross-built cudaup.exe under Wine, headless, in a throwaway WINEPREFIX:
#
#   cli-wine.sh STAGE REGTOOL
#
# STAGE is `cmake --install` of the cross build with its DLLs collected into STAGE/bin
# (packaging/mingw/collect-dlls.sh), so no WINEPATH is set: the DLLs shipped next to the exe
# must be enough, and manifests/ is found in STAGE/share/cudaup as an installed cudaup finds
# it. REGTOOL (tests/windows/regtool.c) reads the registry back with the Win32 API, never
# with cudaup's code, after `wineserver -w` saved it to the prefix's files (each read is a
# new wineserver that loaded them again).
#
# Proves: --version; detect --json without a GPU; plan --os windows; env apply/show/remove at
# user and system scope on a fake toolkit tree under a Korean-named folder: Path gets
# <root>\bin and <root>\libnvvp once (applied twice), keeps REG_EXPAND_SZ, CUDA_PATH and
# CUDA_PATH_V12_4 are set, a second toolkit replaces the first's entries, a dry run writes
# nothing, remove gives Path back byte for byte, and without administrator rights (the test
# build's CUDAUP_TEST_NOT_ADMINISTRATOR) the system scope is refused with exit code 16 and
# nothing changes.
set -euo pipefail

stage=$1
regtool=$2
here=$(cd "$(dirname "$0")" && pwd)
exe=$stage/bin/cudaup.exe
# Wine converts argv with the Unix locale's charset: UTF-8, for the Korean folder name.
export LC_ALL=C.UTF-8
unset WINEPATH CUDA_PATH CUDA_HOME CUDA_ROOT CUDAUP_TEST_NOT_ADMINISTRATOR LANGUAGE
# shellcheck source=tests/windows/wine-env.sh
. "$here/wine-env.sh"

# regtool.exe with its DLLs beside it too (no WINEPATH).
mkdir -p "$work/regtool"
cp "$regtool" "$work/regtool/"
regtool=$work/regtool/$(basename "$regtool")
"$here/../../packaging/mingw/collect-dlls.sh" "$regtool" >/dev/null

failed=0
fail() {
  echo "FAIL: $*"
  failed=$((failed + 1))
}
check() { # check DESCRIPTION ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# Runs a Windows program from C:\ (as a Windows user would: a path without a drive, such as
# Linux's /etc/os-release, then names C:\etc, not the build machine's file through Z:); its
# output in $work/$1.out and .err (CRs dropped), exit status in rc. A second program that lives 2 s lets Wine's services finish starting, so that a program
# ending within a second does not leave `wineserver -w` waiting (see wine-env.sh).
rc=0
wrun() {
  local name=$1
  shift
  "$WINE" cmd.exe /c 'ping -n 3 127.0.0.1 >nul' >/dev/null 2>&1 &
  local keeper=$!
  rc=0
  (cd "$WINEPREFIX/drive_c" && "$WINE" "$@") >"$work/$name.raw" 2>"$work/$name.err.raw" || rc=$?
  wait "$keeper" || true
  tr -d '\r' <"$work/$name.raw" >"$work/$name.out"
  tr -d '\r' <"$work/$name.err.raw" >"$work/$name.err"
}
cup() { # cup NAME ARGS...: cudaup.exe ARGS
  local name=$1
  shift
  wrun "$name" "$exe" "$@"
}

# reg HIVE KEY NAME...: after a settle, REG_TYPE[NAME], REG_TEXT[NAME], REG_HEX[NAME].
declare -A REG_TYPE REG_TEXT REG_HEX
reg() {
  local hive=$1 key=$2 name
  shift 2
  settle
  for name in "$@"; do
    wrun reg "$regtool" get "$hive" "$key" "$name"
    [ "$rc" -eq 0 ] || fail "regtool get $hive\\$key $name: exit $rc"
    mapfile -t lines <"$work/reg.out"
    REG_TYPE[$name]=${lines[0]:-}
    REG_TEXT[$name]=${lines[1]:-}
    REG_HEX[$name]=${lines[2]:-}
  done
}
has_key() { # has_key HIVE KEY: 0 when it exists
  wrun haskey "$regtool" has-key "$1" "$2"
  return "$rc"
}

ENV_KEY='Environment'
SYS_KEY='SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
R12='C:\cudaup-test\한국어\CUDA\v12.4'
R13='C:\cudaup-test\한국어\CUDA\v13.0'
SEED='%USERPROFILE%\bin;C:\Tools'

# Fake toolkit trees: version.json is what cudaup reads for the version; libnvvp only in 12.4.
toolkit() { # toolkit DIR VERSION LIBNVVP
  local dir=$WINEPREFIX/drive_c/cudaup-test/한국어/CUDA/$1
  mkdir -p "$dir/bin"
  [ "$3" = yes ] && mkdir -p "$dir/libnvvp"
  printf '{"cuda": {"name": "CUDA SDK", "version": "%s"}}\n' "$2" >"$dir/version.json"
}
toolkit v12.4 12.4.1 yes
toolkit v13.0 13.0.2 no

test_version() {
  cup version --version
  check "--version exit" "$rc" 0
  grep -Eq '^cudaup [0-9]+\.[0-9]+\.[0-9]+$' "$work/version.out" || fail "--version: $(cat "$work/version.out")"
}

test_detect() {
  cup detect detect --json
  check "detect --json exit" "$rc" 0
  python3 - "$work/detect.out" <<'EOF' || fail "detect --json: $(head -c 600 "$work/detect.out") $(cat "$work/detect.err")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["os"]["family"] == "windows", d["os"]
assert d["os"]["arch"] == "x86_64", d["os"]
assert d["gpus"] == [], d["gpus"]
assert isinstance(d["toolkits"], list) and isinstance(d["warnings"], list)
EOF
}

# The repo's manifests, found in STAGE/share/cudaup/manifests (no --catalog): a Windows plan
# with the CUDA 12.4 redist archives (zip files of windows-x86_64) and cuDNN 9.
test_plan() {
  cup plan plan --os windows --framework pytorch --gpu 'GeForce RTX 4090' --cuda 12.4 --cudnn 9 \
    --with-toolkit --json
  check "plan exit" "$rc" 0
  python3 - "$work/plan.out" <<'EOF' || fail "plan: $(head -c 600 "$work/plan.out") $(cat "$work/plan.err")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
root = "C:\\Program Files\\NVIDIA GPU Computing Toolkit\\CUDA\\v12.4"
assert d["os"] == "windows" and d["platform"] == "windows-x86_64", (d["os"], d["platform"])
assert d["cuda"]["version"].startswith("12.4") and d["cuda"]["root"] == root, d["cuda"]
assert d["cudnn"]["version"].startswith("9."), d["cudnn"]
assert d["archives"], "no archives"
for a in d["archives"]:
    assert "/windows-x86_64/" in a["url"] and a["url"].endswith(".zip"), a["url"]
    assert len(a["sha256"]) == 64, a
env = d["environment"]
assert "CUDA_PATH = " + root in env and "CUDA_PATH_V12_4 = " + root in env, env
assert "Path += " + root + "\\bin" in env, env
EOF
}

# The [Environment] (user) or Session Manager (system) line of NAME as Wine saved it.
reg_file_line() { # reg_file_line user|system NAME
  local file=$WINEPREFIX/user.reg key='[Environment]'
  if [ "$1" = system ]; then
    file=$WINEPREFIX/system.reg
    key='[System\\\\CurrentControlSet\\\\Control\\\\Session Manager\\\\Environment]'
  fi
  # Value names are case-insensitive: Wine's own system Path is "PATH".
  awk -v key="$key" -v name="\"$2\"=" '
    /^\[/ { inside = index($0, key) == 1 }
    inside && index(tolower($0), tolower(name)) == 1 { print }' "$file"
}

# After applying ROOT at HIVE: the exact Path (entries once, before the old text), its type,
# and the two variables.
expect_applied() { # expect_applied HIVE KEY ROOT ENTRIES OLD_PATH VARIABLE
  local hive=$1 key=$2 root=$3 entries=$4 old=$5 var=$6
  reg "$hive" "$key" Path CUDA_PATH "$var"
  check "$hive Path type (REG_EXPAND_SZ kept)" "${REG_TYPE[Path]}" 2
  check "$hive Path" "${REG_TEXT[Path]}" "$entries;$old"
  check "$hive CUDA_PATH" "${REG_TYPE[CUDA_PATH]}:${REG_TEXT[CUDA_PATH]}" "1:$root"
  check "$hive $var" "${REG_TYPE[$var]}:${REG_TEXT[$var]}" "1:$root"
}

test_user_scope() {
  wrun seed "$regtool" set HKCU "$ENV_KEY" Path 2 "$SEED"
  check "seeding Path" "$rc" 0
  reg HKCU "$ENV_KEY" Path
  local before=${REG_HEX[Path]}
  check "seeded Path" "${REG_TYPE[Path]}:${REG_TEXT[Path]}" "2:$SEED"

  cup apply1 env apply --prefix "$R12" --scope user
  check "env apply exit" "$rc" 0
  cup apply2 env apply --prefix "$R12" --scope user
  check "env apply again exit" "$rc" 0
  grep -q 'nothing to change: already so' "$work/apply2.out" ||
    fail "apply again changed something: $(cat "$work/apply2.out")"
  expect_applied HKCU "$ENV_KEY" "$R12" "$R12\\bin;$R12\\libnvvp" "$SEED" CUDA_PATH_V12_4
  [[ $(reg_file_line user Path) == '"Path"=str(2):"'* ]] ||
    fail "user.reg: Path is not REG_EXPAND_SZ: $(reg_file_line user Path)"
  has_key HKCU 'Software\cudaup\Environment' || fail "no record in HKCU\\Software\\cudaup"

  cup show env show --scope user
  check "env show exit" "$rc" 0
  grep -qF "Default CUDA (user scope): 12.4 at $R12" "$work/show.out" || fail "show: $(cat "$work/show.out")"
  check "show: values set by cudaup" "$(grep -c '(set by cudaup)' "$work/show.out")" 2
  check "show: Path entries present" "$(grep -c '^    Path has' "$work/show.out")" 2

  # Another toolkit: its entries replace the first's, CUDA_PATH_V12_4 goes with them.
  cup apply13 env apply --prefix "$R13" --scope user
  check "env apply (second toolkit) exit" "$rc" 0
  expect_applied HKCU "$ENV_KEY" "$R13" "$R13\\bin" "$SEED" CUDA_PATH_V13_0
  reg HKCU "$ENV_KEY" CUDA_PATH_V12_4
  check "CUDA_PATH_V12_4 after the switch" "${REG_TYPE[CUDA_PATH_V12_4]}" 0

  # A dry run prints the edits and writes nothing.
  reg HKCU "$ENV_KEY" Path
  local applied=${REG_HEX[Path]}
  cup dry env apply --prefix "$R12" --scope user --dry-run
  check "dry run exit" "$rc" 0
  grep -qF "would add to HKCU\\Environment\\Path: $R12\\bin" "$work/dry.out" || fail "dry run: $(cat "$work/dry.out")"
  reg HKCU "$ENV_KEY" Path CUDA_PATH
  check "Path after a dry run" "${REG_HEX[Path]}" "$applied"
  check "CUDA_PATH after a dry run" "${REG_TEXT[CUDA_PATH]}" "$R13"

  cup remove env remove --scope user
  check "env remove exit" "$rc" 0
  reg HKCU "$ENV_KEY" Path CUDA_PATH CUDA_PATH_V13_0
  check "Path after remove (bytes)" "${REG_HEX[Path]}" "$before"
  check "Path type after remove" "${REG_TYPE[Path]}" 2
  check "CUDA_PATH after remove" "${REG_TYPE[CUDA_PATH]}" 0
  check "CUDA_PATH_V13_0 after remove" "${REG_TYPE[CUDA_PATH_V13_0]}" 0
  if has_key HKCU 'Software\cudaup'; then fail "HKCU\\Software\\cudaup left behind"; fi
}

# Wine's user is an administrator: the system scope writes HKLM and is taken back exactly.
# Without administrator rights (the test hook) it is refused, with nothing changed.
test_system_scope() {
  reg HKLM "$SYS_KEY" Path
  local before=${REG_HEX[Path]} old=${REG_TEXT[Path]}
  check "system Path type before" "${REG_TYPE[Path]}" 2
  cup sys env apply --prefix "$R12" --scope system
  check "env apply --scope system exit" "$rc" 0
  expect_applied HKLM "$SYS_KEY" "$R12" "$R12\\bin;$R12\\libnvvp" "$old" CUDA_PATH_V12_4
  [[ $(reg_file_line system Path) == '"'[Pp][Aa][Tt][Hh]'"=str(2):"'* ]] ||
    fail "system.reg: Path is not REG_EXPAND_SZ: $(reg_file_line system Path)"
  has_key HKLM 'Software\cudaup\Environment' || fail "no record in HKLM\\Software\\cudaup"
  local applied=${REG_HEX[Path]}

  export CUDAUP_TEST_NOT_ADMINISTRATOR=1
  local what
  for what in "apply --prefix $R13" remove; do
    # shellcheck disable=SC2086 # the words of the command
    cup noadmin env $what --scope system
    check "env $what --scope system, not administrator: exit" "$rc" 16
    check "env $what, not administrator: one line" "$(wc -l <"$work/noadmin.err")" 1
    grep -q '^cudaup: error: .*needs administrator rights: run cudaup as administrator, or use the user scope (--scope user)$' \
      "$work/noadmin.err" || fail "not administrator: $(cat "$work/noadmin.err")"
  done
  unset CUDAUP_TEST_NOT_ADMINISTRATOR
  reg HKLM "$SYS_KEY" Path CUDA_PATH
  check "system Path after the refusals" "${REG_HEX[Path]}" "$applied"
  check "system CUDA_PATH after the refusals" "${REG_TEXT[CUDA_PATH]}" "$R12"

  cup sysrm env remove --scope system
  check "env remove --scope system exit" "$rc" 0
  reg HKLM "$SYS_KEY" Path CUDA_PATH CUDA_PATH_V12_4
  check "system Path after remove (bytes)" "${REG_HEX[Path]}" "$before"
  check "system CUDA_PATH after remove" "${REG_TYPE[CUDA_PATH]}" 0
  check "system CUDA_PATH_V12_4 after remove" "${REG_TYPE[CUDA_PATH_V12_4]}" 0
  if has_key HKLM 'Software\cudaup'; then fail "HKLM\\Software\\cudaup left behind"; fi
}

for t in test_version test_detect test_plan test_user_scope test_system_scope; do
  t0=$SECONDS
  before=$failed
  "$t"
  echo "${t#test_}: $((SECONDS - t0)) s, $((failed - before)) failure(s)"
done
echo "cudaup.exe under Wine: $failed failure(s) in $((SECONDS - wine_start)) s"
[ "$failed" -eq 0 ]
