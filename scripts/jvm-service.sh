# What scripts/kafka.sh and scripts/connect.sh share: a Java process run straight from Maven
# Central jars, with a pid file. Sourced; the caller sets `pidfile` and `log`.

# Copies the runtime dependencies of a pom into a directory, once per pom content: a version bump
# downloads again.   fetch_jars <pom.xml> <libs dir>
fetch_jars() {
  local pom="$1" libs="$2" stamp mvnlog
  stamp="$(sha256sum "$pom" | cut -c1-16)"
  if [[ -f "$libs/.stamp" && "$(cat "$libs/.stamp")" == "$stamp" ]]; then return; fi
  rm -rf "$libs" && mkdir -p "$libs"
  mvnlog="$libs.mvn.log"
  if ! mvn -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime >"$mvnlog" 2>&1; then
    tail -40 "$mvnlog" >&2
    return 1
  fi
  echo "$stamp" > "$libs/.stamp"
}

# Warnings to the console, plus any extra properties given.   write_log4j <file> [line...]
write_log4j() {
  local file="$1"
  shift
  {
    printf '%s\n' "rootLogger.level=WARN" "rootLogger.appenderRef.out.ref=out" "appender.out.type=Console" \
      "appender.out.name=out" "appender.out.layout.type=PatternLayout" "appender.out.layout.pattern=[%d] %p %m (%c)%n"
    if (($# > 0)); then printf '%s\n' "$@"; fi
  } > "$file"
}

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# SIGTERM, then SIGKILL after 30 s.   stop_service <name>
stop_service() {
  local name="$1" pid
  if ! running; then rm -f "$pidfile"; echo "$name not running"; return; fi
  pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "$name stopped"
}

# Polls `check` until it succeeds, the process exits, or the time runs out.   wait_until <name> <seconds> <check...>
wait_until() {
  local name="$1" seconds="$2" deadline
  shift 2
  deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    if ! running; then echo "$name exited; see $log" >&2; tail -30 "$log" >&2; return 1; fi
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$name not ready after ${seconds}s; see $log" >&2
  return 1
}

# Starts java in the background from the jars in `libs`, logging to `log`, its pid in `pidfile`.
#   launch <initial heap> <main class> [arg...]
launch() {
  local heap="$1"
  shift
  nohup java "-Xms$heap" -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$libs/*" "$@" >>"$log" 2>&1 &
  echo $! > "$pidfile"
}
