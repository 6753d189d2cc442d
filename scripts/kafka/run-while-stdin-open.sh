#!/usr/bin/env bash
# Runs a command (the test broker's JVM) and ends it when our stdin reaches EOF, i.e. when the test
# process that holds the other end of the pipe dies, even by SIGKILL, which no 'exit' handler sees.
# SIGTERM/SIGINT to this script are passed on to the command, so a normal stop is a clean shutdown.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: run-while-stdin-open.sh COMMAND [ARG...]" >&2
  exit 2
fi

# Background jobs get /dev/null as stdin, so keep the parent's pipe on fd 3 for the watchdog.
exec 3<&0
"$@" </dev/null 3<&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null || true' TERM INT

# A builtin read loop in a subshell: no extra process is left behind when it is killed below.
{
  while IFS= read -r -u 3 _; do :; done
  kill -TERM "$child" 2>/dev/null || true
} &
watchdog=$!

# wait returns early when a trapped signal arrives; keep waiting until the command has really exited.
set +e
wait "$child"
status=$?
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  status=$?
done
kill "$watchdog" 2>/dev/null
exit "$status"
