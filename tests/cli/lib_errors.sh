# lib_errors.sh - sourced by tests/cli/test_<app>_errors.sh: a work folder with bad-input fixtures,
# and expect_error, which checks the contract every app keeps for bad input (docs/robustness.md):
#   - the exit status is 2 for a usage error, 1 for a runtime error (never a signal: 134 abort,
#     139 segfault, 124 the timeout that stands for a hang);
#   - stderr is exactly ONE line, "<app>: <what was wrong>", that contains the expected words;
#   - no crash report: no sanitizer output, "terminate called", "Aborted" or stack trace.
# When VAE_ERROR_TABLE names a file, every checked case appends one tab-separated line to it:
#   app, the command, what is wrong, the exit status, what the user sees (stderr)
# from which scripts/robustness-table makes the table of docs/robustness.md (real runs, not memory).
# The tests run in their work folder with short relative names (mnist/ is a link to the data) so
# that the rows read like a user's session.

# init_work NAME: a fresh folder under /tmp, removed on exit; the caller cds into it.
init_work() {
  work="$(mktemp -d "/tmp/vae_$1_XXXXXX")"
  chmod 755 "$work"   # the unprivileged user of unreadable-file cases must get in
  trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
  cd "$work"
}

fail() { echo "FAIL: $*" >&2; exit 1; }

abs() { [[ "$1" == /* ]] && echo "$1" || echo "$PWD/$1"; }

# expect_error RC WORDS WHAT CMD...: CMD fails with exit RC and one line on stderr matching the
# extended regex WORDS; WHAT says what is wrong, for the table.
expect_error() {
  local want="$1" words="$2" what="$3"; shift 3
  local rc=0 app shown
  command_text "$@"
  timeout 120 "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc -ne 124 ]] || fail "'$shown' hung (killed after 120 s)"
  [[ $rc -eq $want ]] || fail "'$shown' exited $rc, expected $want; stderr: $(head -c 600 err.txt)"
  [[ $(wc -l <err.txt) -eq 1 ]] || fail "'$shown' printed $(wc -l <err.txt) lines on stderr: $(head -c 600 err.txt)"
  grep -q "^$app: " err.txt || fail "'$shown': the error does not start with '$app: ': $(cat err.txt)"
  if grep -qiE 'terminate called|Aborted|AddressSanitizer|LeakSanitizer|runtime error:|stack|backtrace|core dumped' err.txt; then
    fail "'$shown': not a clean error: $(cat err.txt)"
  fi
  grep -qE -- "$words" err.txt || fail "'$shown': the error lacks '$words': $(cat err.txt)"
  echo "ok: exit $rc: $shown -> $(cat err.txt)"
  [[ -z "${VAE_ERROR_TABLE:-}" ]] || printf '%s\t%s\t%s\t%d\t%s\n' "$app" "$shown" "$what" "$rc" "$(cat err.txt)" >>"$VAE_ERROR_TABLE"
}

# expect_ok WHAT CMD...: an input that looks odd but is valid; recorded in the table as exit 0.
expect_ok() {
  local what="$1"; shift
  local rc=0 app shown
  command_text "$@"
  timeout 120 "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc -eq 0 ]] || fail "'$shown' exited $rc: $(head -c 600 err.txt)"
  echo "ok: exit 0: $shown"
  [[ -z "${VAE_ERROR_TABLE:-}" ]] || printf '%s\t%s\t%s\t0\t%s\n' "$app" "$shown" "$what" "$(tail -1 err.txt)" >>"$VAE_ERROR_TABLE"
}

# Sets app (the program's name) and shown (the command as a user types it; the setpriv prefix of
# "${unprivileged[@]}" shown as "(as nobody)", a prlimit --fsize prefix as the limit).
command_text() {
  local prefix=""
  if [[ "$1" == prlimit ]]; then   # prlimit --fsize=BYTES CMD: a file-size limit (ulimit -f)
    prefix="(file size limit ${2#--fsize=} bytes) "
    shift 2
  fi
  if [[ "$1" == setpriv ]]; then
    while [[ "$1" != -- ]]; do shift; done
    shift
    prefix+="(as nobody) "
  fi
  app="$(basename "$1")"
  shown="$prefix$app"
  local a
  for a in "${@:2}"; do
    [[ "$a" == *' '* || -z "$a" ]] && a="'$a'"
    shown+=" $a"
  done
}

# Bad weight files next to the good ones: truncated, one flipped byte (CRC), not a weight file, a
# directory, a symbolic-link loop (unreadable even for root), and an unreadable file.
make_bad_files() {   # $1: a valid .vaew
  head -c 1000 "$1" >truncated.vaew
  cp "$1" flipped.vaew
  printf '\x5a' | dd of=flipped.vaew bs=1 seek=5000 conv=notrunc status=none
  printf 'not a weight file\n%.0s' {1..200} >text.vaew
  mkdir -p folder.vaew
  ln -sf loop.vaew loop.vaew
  cp "$1" unreadable.vaew
  chmod 000 unreadable.vaew
}

# "${unprivileged[@]}" CMD...: run CMD as a user that file permissions apply to (root ignores
# them): this user when it is not root, else nobody through setpriv (util-linux).
unprivileged=()
if [[ $(id -u) -eq 0 ]]; then
  command -v setpriv >/dev/null || { echo "FAIL: running as root without setpriv: cannot test permissions" >&2; exit 1; }
  unprivileged=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi

# for_nobody BIN: BIN, or a copy in the work folder when the unprivileged user cannot reach it (a
# checkout under /root, say). The cases run as nobody only touch files of the work folder.
for_nobody() {
  if [[ ${#unprivileged[@]} -gt 0 ]] && ! "${unprivileged[@]}" test -x "$1"; then
    cp "$1" "$work/" && chmod 755 "$work/$(basename "$1")"
    echo "$work/$(basename "$1")"
  else
    echo "$1"
  fi
}
