# shellcheck shell=bash
# Neo4j Community, embedded in the tiny launcher in scripts/stack/neo4j. Sourced by stack.sh.

NEO4J_SRC=$ROOT/scripts/stack/neo4j
NEO4J_BUILD=$BUILD_DIR/neo4j
NEO4J_DIR=$INST_DIR/neo4j

neo4j_missing_packages() {
  command -v javac >/dev/null || echo openjdk-17-jdk-headless
  command -v mvn >/dev/null || echo maven
}
neo4j_log() { printf '%s/neo4j.log' "$NEO4J_DIR"; }
neo4j_port() { printf '%s' "$NEO4J_BOLT_PORT"; }
neo4j_pid() { pid_from "$NEO4J_DIR/neo4j.pid" devstack.neo4j.Launcher; }
neo4j_ready() { port_open "$NEO4J_BOLT_PORT"; }

# Rebuild only when the launcher's sources change.
neo4j_stamp() { cat "$NEO4J_SRC/pom.xml" "$NEO4J_SRC"/src/main/java/devstack/neo4j/*.java | cksum; }
neo4j_built() { [[ $(cat "$NEO4J_BUILD/stamp" 2>/dev/null) == "$(neo4j_stamp)" ]]; }

neo4j_build() {
  neo4j_built && return
  say "building the Neo4j launcher with Maven (first time only, about a minute)"
  rm -rf "${NEO4J_BUILD:?}/lib" "${NEO4J_BUILD:?}/target"
  mvn -q -B -f "$NEO4J_SRC/pom.xml" -Dmaven.repo.local="$BUILD_DIR/m2" \
    -Ddevstack.build.dir="$NEO4J_BUILD/target" \
    compile dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$NEO4J_BUILD/lib" >&2
  neo4j_stamp >"$NEO4J_BUILD/stamp"
}

neo4j_start() {
  mkdir -p "$NEO4J_DIR/home"
  # Bounded heap (page cache and tx memory are bounded in Launcher.java).
  # --add-opens java.nio: Neo4j's page cache otherwise logs that it falls back
  # to a slower, hungrier mode; sun.nio.ch is for its native I/O helpers.
  spawn "$NEO4J_DIR/neo4j.pid" "$(neo4j_log)" \
    java -Xms256m -Xmx768m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
    -cp "$NEO4J_BUILD/target/classes:$NEO4J_BUILD/lib/*" \
    devstack.neo4j.Launcher "$NEO4J_DIR/home" "$NEO4J_BOLT_PORT"
}

neo4j_stop() {
  local pid
  pid=$(neo4j_pid)
  [[ -z $pid ]] || stop_pid neo4j "$pid" 60
}
