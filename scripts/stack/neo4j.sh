# shellcheck shell=bash
# Neo4j Community, embedded in the tiny launcher in scripts/stack/neo4j. Sourced by stack.sh.

NEO4J_SRC=$ROOT/scripts/stack/neo4j
NEO4J_DIR=$INST_DIR/neo4j

neo4j_missing_packages() {
  command -v javac >/dev/null || echo openjdk-17-jdk-headless
  command -v mvn >/dev/null || echo maven
}
neo4j_log() { printf '%s/neo4j.log' "$NEO4J_DIR"; }
neo4j_port() { printf '%s' "$NEO4J_BOLT_PORT"; }
neo4j_pid() { pid_from "$NEO4J_DIR/neo4j.pid" devstack.neo4j.Launcher; }
neo4j_ready() { port_open "$1"; }

# Each version of the launcher sources gets its own build dir, so rebuilding
# never pulls jars from under an instance that is still running the old one.
neo4j_out() {
  printf '%s/neo4j/%s' "$BUILD_DIR" \
    "$(cat "$NEO4J_SRC/pom.xml" "$NEO4J_SRC"/src/main/java/devstack/neo4j/*.java | cksum | cut -d' ' -f1)"
}
neo4j_built() { [[ -f $(neo4j_out)/complete ]]; }

neo4j_build() {
  local out d
  out=$(neo4j_out)
  [[ -f $out/complete ]] && return
  say "building the Neo4j launcher with Maven (first time only, about a minute)"
  rm -rf "$out"
  mkdir -p "$out"
  # Maven 3.8 prints stray colour codes even with -q -B, so keep its output for failures.
  mvn -q -B -f "$NEO4J_SRC/pom.xml" -Dmaven.repo.local="$BUILD_DIR/m2" -Ddevstack.build.dir="$out/target" \
    compile dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib" \
    >"$out/build.log" 2>&1 || {
    cat "$out/build.log" >&2
    die "Maven build of the Neo4j launcher failed (log: $(rel "$out")/build.log)"
  }
  touch "$out/complete"
  for d in "$BUILD_DIR"/neo4j/*/; do  # drop old builds no running instance uses
    d=${d%/}
    [[ $d == "$out" ]] || pgrep -f -- "$d/" >/dev/null || rm -rf "$d"
  done
}

neo4j_start() {
  local out
  out=$(neo4j_out)
  mkdir -p "$NEO4J_DIR/home"
  # Bounded heap (page cache and tx memory are bounded in Launcher.java).
  # --add-opens: Neo4j reaches into direct buffers and file descriptors (page
  # cache, tx log preallocation); without them it logs warnings and falls back
  # to slower code paths.
  spawn "$NEO4J_DIR/neo4j.pid" "$(neo4j_log)" \
    java -Xms256m -Xmx768m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    -cp "$out/target/classes:$out/lib/*" \
    devstack.neo4j.Launcher "$NEO4J_DIR/home" "$NEO4J_BOLT_PORT"
}

neo4j_stop() {
  local pid
  pid=$(neo4j_pid)
  [[ -z $pid ]] || stop_pid neo4j "$pid" 60
}
