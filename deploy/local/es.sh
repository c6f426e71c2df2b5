#!/usr/bin/env bash
# Local Elasticsearch for Akhbar without Docker: one real node on loopback (or a cluster).
#
#   deploy/local/es.sh up | down | status
#
# up     fetch the ES integ-test-zip through Maven (cached in the local Maven repo), unpack
#        it, build and install our analysis plugin (only when its sources changed), start a
#        single-node cluster as an unprivileged user, wait for green/yellow, then check that
#        every analysis component the index design uses answers _analyze with the tokens
#        analysis-common would give. Idempotent: a healthy node is left alone.
# down   SIGTERM the node, wait for it to exit.
# status print whether the node runs and its health.
#
# Environment (defaults):
#   ES_PORT=9200  ES_HEAP=512m  ES_USER=akhbar-es  ES_START_TIMEOUT_S=180
#   ES_NODES=1: with n>1, a cluster of n nodes sharing one unpacked home (and the plugin), node i
#   (1..n) with its own config, data and logs in <es root>/node-i, HTTP on ES_PORT+i-1 and
#   transport on ES_TRANSPORT_PORT+i-1 (default ES_PORT+100), all master-eligible, discovering
#   each other on loopback (docs/decisions.md D16). ES_PORT is node 1, the URL clients use.
#   ES_JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 (ES 9 needs Java 21+)
#   AKHBAR_STACK_DIR=<repo>/.stack (git-ignored; build output, and the node itself when the
#   ES user can reach it: otherwise the node lives in /tmp/akhbar-stack-<hash>/es)
#
# The integ-test-zip lacks the analysis-common module; deploy/local/es-analysis-plugin supplies
# the components we need under the same names. Never install that plugin on the official image.
set -euo pipefail

readonly ES_VERSION=9.2.4
readonly ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
readonly PLUGIN_NAME=akhbar-analysis-common

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly REPO_ROOT
readonly PLUGIN_SRC="$REPO_ROOT/deploy/local/es-analysis-plugin"

ES_PORT="${ES_PORT:-9200}"
ES_HEAP="${ES_HEAP:-512m}"
ES_USER="${ES_USER:-akhbar-es}"
ES_START_TIMEOUT_S="${ES_START_TIMEOUT_S:-180}"
ES_NODES="${ES_NODES:-1}"
[[ "$ES_NODES" =~ ^[1-9][0-9]*$ ]] || { printf 'es.sh: ERROR: ES_NODES must be a positive integer, got %s\n' "$ES_NODES" >&2; exit 2; }
ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-$((ES_PORT + 100))}"
readonly ES_BASE_PORT="$ES_PORT"
ES_JAVA_HOME="${ES_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
AKHBAR_STACK_DIR="${AKHBAR_STACK_DIR:-$REPO_ROOT/.stack}"
M2_REPO="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
ES_URL="http://127.0.0.1:${ES_PORT}"

log() { printf 'es.sh: %s\n' "$*" >&2; }
die() { printf 'es.sh: ERROR: %s\n' "$*" >&2; exit 1; }

as_root() { [[ "$(id -u)" -eq 0 ]]; }

# --- layout -----------------------------------------------------------------------------

# ES refuses to run as root, so as root we run it as $ES_USER, who must be able to reach
# its home. A repo under /root (mode 700) is not reachable: use a /tmp directory keyed by
# the stack dir instead, so clones do not share a node.
resolve_layout() {
    mkdir -p "$AKHBAR_STACK_DIR"
    AKHBAR_STACK_DIR="$(cd "$AKHBAR_STACK_DIR" && pwd)"
    ES_ROOT="$AKHBAR_STACK_DIR/es"
    if as_root && ! id -u "$ES_USER" >/dev/null 2>&1; then
        ES_ROOT=""   # decided after the user exists
    elif as_root && ! runuser -u "$ES_USER" -- test -x "$AKHBAR_STACK_DIR" 2>/dev/null; then
        ES_ROOT="/tmp/akhbar-stack-$(printf '%s' "$AKHBAR_STACK_DIR" | sha256sum | cut -c1-12)/es"
    fi
    ES_HOME="$ES_ROOT/elasticsearch-$ES_VERSION"
    es_node 1
}

# es_node <i>: point NODE_ROOT, NODE_NAME, PID_FILE, ES_PORT and ES_URL at node i. A single node
# keeps the historical layout (everything directly in $ES_ROOT, config in $ES_HOME/config).
es_node() {
    NODE_INDEX="$1"
    if (( ES_NODES == 1 )); then
        NODE_ROOT="$ES_ROOT" NODE_NAME=akhbar-local WHO=""
    else
        NODE_ROOT="$ES_ROOT/node-$1" NODE_NAME="akhbar-local-$1" WHO="node $1: "
    fi
    PID_FILE="$NODE_ROOT/es.pid"
    ES_PORT=$((ES_BASE_PORT + $1 - 1))
    ES_URL="http://127.0.0.1:${ES_PORT}"
}

ensure_user() {
    as_root || return 0
    if ! id -u "$ES_USER" >/dev/null 2>&1; then
        log "creating system user $ES_USER (Elasticsearch refuses to run as root)"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$ES_USER"
    fi
    if [[ -z "$ES_ROOT" ]]; then
        resolve_layout
    fi
}

# The discovery lines of node $NODE_INDEX of a cluster: every node master-eligible, seeded with the
# others' transport ports on loopback (still development mode: bound to loopback only).
cluster_discovery() {
    local i seeds="" masters=""
    for ((i = 1; i <= ES_NODES; i++)); do
        seeds+="${seeds:+, }\"127.0.0.1:$((ES_TRANSPORT_PORT + i - 1))\""
        masters+="${masters:+, }\"akhbar-local-$i\""
    done
    printf 'transport.port: %s\ndiscovery.seed_hosts: [%s]\ncluster.initial_master_nodes: [%s]' \
        "$((ES_TRANSPORT_PORT + NODE_INDEX - 1))" "$seeds" "$masters"
}

# --- process ----------------------------------------------------------------------------

# The pid in $PID_FILE, if that process is still our Elasticsearch (guards against reuse).
running_pid() {
    [[ -n "${PID_FILE:-}" && -s "$PID_FILE" ]] || return 1
    local pid
    pid="$(cat "$PID_FILE")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "-Des.path.home=$ES_HOME " || return 1
    printf '%s\n' "$pid"
}

cluster_status() {
    curl -fsS --max-time 5 "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null \
        | grep -o '"status":"[a-z]*"' | cut -d'"' -f4
}

healthy() {
    local s
    s="$(cluster_status || true)"
    [[ "$s" == green || "$s" == yellow ]] || return 1
    (( ES_NODES == 1 )) && return 0
    # a cluster is healthy once every node has joined
    curl -fsS --max-time 5 "$ES_URL/_cluster/health?wait_for_nodes=$ES_NODES&timeout=1s" 2>/dev/null \
        | grep -q '"timed_out":false'
}

print_log_tail() {
    local f
    for f in "$NODE_ROOT/logs/startup.out" "$NODE_ROOT/logs/akhbar-local.log"; do
        if [[ -s "$f" ]]; then
            printf -- '----- tail of %s -----\n' "$f" >&2
            tail -n 60 "$f" >&2
        fi
    done
}

es_version() {
    curl -fsS --max-time 5 "$ES_URL/_nodes/_local?filter_path=nodes.*.version" \
        | grep -o '"version":"[^"]*"' | head -n1 | cut -d'"' -f4
}

lucene_version() {
    local jar
    jar="$(basename "$(ls "$ES_HOME"/lib/lucene-core-*.jar)")"
    jar="${jar#lucene-core-}"
    printf '%s\n' "${jar%.jar}"
}

# --- install ----------------------------------------------------------------------------

fetch_and_unpack() {
    local zip="$M2_REPO/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
    if [[ ! -s "$zip" ]]; then
        log "fetching $ES_ARTIFACT into the local Maven repository"
        mvn -q -B -Dstyle.color=never dependency:get -Dartifact="$ES_ARTIFACT" -Dtransitive=false \
            || die "could not fetch $ES_ARTIFACT with Maven"
    fi
    [[ -s "$zip" ]] || die "$zip missing after Maven fetch (is MAVEN_REPO_LOCAL right?)"
    if [[ -x "$ES_HOME/bin/elasticsearch" && -f "$ES_HOME/.akhbar-unpacked" ]]; then
        return 0
    fi
    log "unpacking Elasticsearch $ES_VERSION into $ES_ROOT"
    mkdir -p "$ES_ROOT"
    rm -rf "$ES_HOME" "$ES_ROOT/unpack.tmp"
    mkdir "$ES_ROOT/unpack.tmp"
    unzip -q "$zip" -d "$ES_ROOT/unpack.tmp"
    mv "$ES_ROOT/unpack.tmp/elasticsearch-$ES_VERSION" "$ES_HOME"
    rmdir "$ES_ROOT/unpack.tmp"
    touch "$ES_HOME/.akhbar-unpacked"
}

plugin_source_hash() {
    {
        printf 'es=%s\n' "$ES_VERSION"
        (cd "$PLUGIN_SRC" && find pom.xml src -type f -print0 | sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-16
}

plugin_current() {
    [[ -f "$ES_HOME/plugins/$PLUGIN_NAME/stable-plugin-descriptor.properties" \
        && "$(cat "$ES_ROOT/plugin.sha" 2>/dev/null)" == "$(plugin_source_hash)" ]]
}

build_and_install_plugin() {
    local build_dir="$AKHBAR_STACK_DIR/build/es-analysis-plugin" build_log="$AKHBAR_STACK_DIR/build/es-analysis-plugin.log"
    mkdir -p "$AKHBAR_STACK_DIR/build"
    log "building $PLUGIN_NAME (log: $build_log)"
    if ! (cd "$PLUGIN_SRC" && JAVA_HOME="$ES_JAVA_HOME" mvn -B -q -Dstyle.color=never package -Dakhbar.buildDir="$build_dir") \
        >"$build_log" 2>&1; then
        tail -n 40 "$build_log" >&2
        die "plugin build failed"
    fi
    local zip
    zip="$(ls "$build_dir"/"$PLUGIN_NAME"-*.zip)"
    if [[ -d "$ES_HOME/plugins/$PLUGIN_NAME" ]]; then
        ES_JAVA_HOME="$ES_JAVA_HOME" "$ES_HOME/bin/elasticsearch-plugin" remove --silent "$PLUGIN_NAME" </dev/null >&2 \
            || rm -rf "$ES_HOME/plugins/$PLUGIN_NAME"
    fi
    log "installing $(basename "$zip")"
    env -u JAVA_HOME ES_JAVA_HOME="$ES_JAVA_HOME" "$ES_HOME/bin/elasticsearch-plugin" install --batch --silent "file://$zip" \
        </dev/null >&2 || die "elasticsearch-plugin install failed"
    plugin_source_hash >"$ES_ROOT/plugin.sha"
}

write_config() {
    local extra=""
    # Only settings the node registers: an unknown setting stops it. x-pack-core registers
    # xpack.ml.enabled even though the integ-test-zip has no ML module.
    if [[ -d "$ES_HOME/modules/x-pack-core" ]]; then
        extra+=$'xpack.ml.enabled: false\n'
    fi
    local conf="$ES_HOME/config" discovery
    if (( ES_NODES > 1 )); then
        # each node its own config dir (ES_PATH_CONF): a copy of the distribution's
        conf="$NODE_ROOT/config"
        mkdir -p "$conf"
        cp -a "$ES_HOME/config/." "$conf/"
        discovery="$(cluster_discovery)"
    else
        discovery=$'# Single node on loopback only: development mode, so the bootstrap checks\n# (vm.max_map_count, file descriptors) log warnings instead of refusing to start.\ndiscovery.type: single-node'
    fi
    cat >"$conf/elasticsearch.yml" <<EOF
# Written by deploy/local/es.sh; edits are overwritten on the next 'up'.
cluster.name: akhbar-local
node.name: $NODE_NAME
path.data: $NODE_ROOT/data
path.logs: $NODE_ROOT/logs
${discovery}
network.host: 127.0.0.1
http.port: $ES_PORT
# Loopback only, never exposed: no TLS, no passwords.
xpack.security.enabled: false
# A nearly full laptop disk must not turn indices read-only in development.
cluster.routing.allocation.disk.threshold_enabled: false
${extra}
EOF
    mkdir -p "$conf/jvm.options.d"
    printf -- '-Xms%s\n-Xmx%s\n' "$ES_HEAP" "$ES_HEAP" >"$conf/jvm.options.d/akhbar-heap.options"
    mkdir -p "$NODE_ROOT/data" "$NODE_ROOT/logs" "$NODE_ROOT/tmp"
    if as_root; then
        chown -R "$ES_USER:" "$ES_ROOT"
    fi
}

# Start the current node as a daemon; returns once it runs (a cluster node: once it has started,
# which it does only after finding the others or its initial-state timeout).
launch_node() {
    local -a run=() conf=()
    if as_root; then
        run=(runuser -u "$ES_USER" --)
    fi
    if (( ES_NODES > 1 )); then
        conf=(ES_PATH_CONF="$NODE_ROOT/config")
    fi
    log "${WHO}starting Elasticsearch $ES_VERSION on $ES_URL (heap $ES_HEAP)"
    rm -f "$PID_FILE"
    local rc=0
    (cd "$NODE_ROOT" && timeout "$ES_START_TIMEOUT_S" "${run[@]}" env -u JAVA_HOME -u ES_JAVA_OPTS \
        ES_JAVA_HOME="$ES_JAVA_HOME" ES_TMPDIR="$NODE_ROOT/tmp" "${conf[@]}" \
        "$ES_HOME/bin/elasticsearch" -d -p "$PID_FILE" </dev/null >"$NODE_ROOT/logs/startup.out" 2>&1) || rc=$?
    if [[ $rc -ne 0 ]]; then
        print_log_tail
        stop_node >/dev/null 2>&1 || true
        die "${WHO}Elasticsearch did not start (exit $rc)"
    fi
}

start_node() {
    launch_node
    await_health
}

await_health() {
    local deadline=$((SECONDS + ES_START_TIMEOUT_S))
    until healthy; do
        if (( SECONDS >= deadline )); then
            print_log_tail
            die "no green/yellow cluster health on $ES_URL after ${ES_START_TIMEOUT_S}s"
        fi
        running_pid >/dev/null || { print_log_tail; die "Elasticsearch exited during startup"; }
        sleep 1
    done
}

stop_node() {
    local pid
    if ! pid="$(running_pid)"; then
        rm -f "${PID_FILE:-/nonexistent}"
        log "${WHO}not running"
        return 0
    fi
    log "${WHO}stopping Elasticsearch (pid $pid)"
    kill -TERM "$pid"
    local i
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid still alive after 60s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
    fi
    rm -f "$PID_FILE"
    log "${WHO}stopped"
}

# --- analysis check ---------------------------------------------------------------------

# kind|name|definition|text|expected tokens (space separated); no '|' inside a field. Definitions use "type" so the
# configurable factory is exercised, as in the index design; expected tokens are what
# analysis-common (Lucene) gives, so a missing or silently different component fails.
readonly COMPONENT_CHECKS=(
    'tokenizer|standard|"tokenizer":"standard"|Akhbar news|Akhbar news'
    'tokenizer|keyword|"tokenizer":{"type":"keyword"}|Akhbar news|Akhbar news'
    'tokenizer|whitespace|"tokenizer":{"type":"whitespace"}|a-b c|a-b c'
    'filter|lowercase|"tokenizer":"standard","filter":[{"type":"lowercase"}]|AbC|abc'
    'filter|stop|"tokenizer":"standard","filter":[{"type":"stop","stopwords":"_arabic_"}]|في البيت|البيت'
    'filter|decimal_digit|"tokenizer":"standard","filter":[{"type":"decimal_digit"}]|٢٠٢٦ ۱۴۰۵|2026 1405'
    'filter|arabic_normalization|"tokenizer":"standard","filter":[{"type":"arabic_normalization"}]|أحمد مدرسة|احمد مدرسه'
    'filter|persian_normalization|"tokenizer":"standard","filter":[{"type":"persian_normalization"}]|کتاب|كتاب'
    'filter|arabic_stem|"tokenizer":"standard","filter":[{"type":"arabic_stem"}]|الكتاب|كتاب'
    'filter|pattern_replace|"tokenizer":"standard","filter":[{"type":"pattern_replace","pattern":"^(?:و?ال)(?=\\p{L}{3,})","replacement":""}]|والكتاب|كتاب'
    'filter|keyword_marker|"tokenizer":"standard","filter":[{"type":"keyword_marker","keywords":["الكتاب"]},{"type":"arabic_stem"}]|الكتاب المدرسة|الكتاب مدرس'
    'filter|trim|"tokenizer":{"type":"keyword"},"filter":[{"type":"trim"}]| x |x'
    'filter|length|"tokenizer":"standard","filter":[{"type":"length","min":2}]|a bb|bb'
    'char_filter|pattern_replace|"tokenizer":"standard","char_filter":[{"type":"pattern_replace","pattern":"(\\d+)-(\\d+)","replacement":"$1_$2"}]|12-34|12_34'
)

# The tokens of an _analyze response, space separated; the error body if there are none.
tokens_of() {
    local response
    response="$(cat)"
    if [[ "$response" != *'"tokens":'* ]]; then
        printf 'ERROR: %s\n' "${response:0:400}"
        return 1
    fi
    grep -o '"token":"[^"]*"' <<<"$response" | cut -d'"' -f4 | paste -sd' ' -
}

check_analysis() {
    local entry kind name def text expected body got failed=()
    for entry in "${COMPONENT_CHECKS[@]}"; do
        IFS='|' read -r kind name def text expected <<<"$entry"
        body="{${def},\"text\":\"${text}\"}"
        got="$(curl -sS --max-time 10 -H 'Content-Type: application/json' "$ES_URL/_analyze" -d "$body" | tokens_of || true)"
        if [[ "$got" != "$expected" ]]; then
            log "analysis component MISSING or wrong: $kind '$name': expected [$expected], got [$got]"
            failed+=("$kind:$name")
        fi
    done
    if ((${#failed[@]})); then
        die "analysis components missing or not analysis-common compatible: ${failed[*]}"
    fi
    check_index_analysis
    log "all ${#COMPONENT_CHECKS[@]} analysis components answer like analysis-common"
}

# Index creation builds every registered component (not only the ones _analyze names), the
# way the indexer's template will: create a throwaway index using all of them, then drop it.
check_index_analysis() {
    local index="akhbar-es-sh-check-$$-$RANDOM" body got
    body='{"settings":{"number_of_replicas":0,"analysis":{
      "char_filter":{"c_tatweel":{"type":"pattern_replace","pattern":"\\u0640+","replacement":""}},
      "filter":{"c_stop":{"type":"stop","stopwords":"_arabic_"},
                "c_strip":{"type":"pattern_replace","pattern":"^(?:وبال|وال|بال|فال|لل)(?=\\p{L}{3,})","replacement":""},
                "c_keep":{"type":"keyword_marker","keywords":["الجزيره"]}},
      "analyzer":{"c_all":{"type":"custom","tokenizer":"standard","char_filter":["c_tatweel"],
                  "filter":["lowercase","decimal_digit","c_stop","arabic_normalization","persian_normalization",
                            "c_keep","c_strip","arabic_stem"]}}}}}'
    got="$(curl -sS --max-time 30 -X PUT -H 'Content-Type: application/json' "$ES_URL/$index" -d "$body")"
    if [[ "$got" != *'"acknowledged":true'* ]]; then
        die "an index using every analysis component cannot be created: ${got:0:600}"
    fi
    got="$(curl -sS --max-time 10 -H 'Content-Type: application/json' "$ES_URL/$index/_analyze" \
        -d '{"analyzer":"c_all","text":"في وبالمــدينة الجزيرة ٢٠٢٦"}' | tokens_of || true)"
    curl -sS --max-time 30 -X DELETE "$ES_URL/$index" >/dev/null || true
    if [[ "$got" != "مدين الجزيره 2026" ]]; then
        die "index-level analysis chain gives [$got], expected [مدين الجزيره 2026]"
    fi
}

# --- commands ---------------------------------------------------------------------------

# A cluster: every node not running is configured and launched at once (none finishes starting
# alone), then node 1 must report all of them joined and green/yellow health.
cmd_up_cluster() {
    local i pids=() failed=0
    [[ -x "$ES_JAVA_HOME/bin/java" ]] || die "no Java at ES_JAVA_HOME=$ES_JAVA_HOME (ES $ES_VERSION needs Java 21+)"
    fetch_and_unpack
    if ! plugin_current; then
        for ((i = ES_NODES; i >= 1; i--)); do es_node "$i"; stop_node; done
        build_and_install_plugin
    fi
    for ((i = 1; i <= ES_NODES; i++)); do
        es_node "$i"
        if running_pid >/dev/null; then
            log "${WHO}already running (pid $(running_pid))"
            continue
        fi
        curl -fsS --max-time 2 "$ES_URL" >/dev/null 2>&1 && die "${WHO}something else answers on $ES_URL"
        write_config
        launch_node &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || failed=1; done
    ((failed == 0)) || die "a node did not start"
    es_node 1
    await_health
    printf 'Elasticsearch %s (Lucene %s) is up at %s: a cluster of %s nodes\n' "$(es_version)" "$(lucene_version)" "$ES_URL" "$ES_NODES"
    check_analysis
}

cmd_up() {
    resolve_layout
    ensure_user
    if (( ES_NODES > 1 )); then
        cmd_up_cluster
        return
    fi
    if running_pid >/dev/null && healthy; then
        if plugin_current; then
            log "already up: Elasticsearch $(es_version) at $ES_URL (home $ES_HOME)"
            check_analysis
            return 0
        fi
        log "plugin sources changed: restarting to reinstall $PLUGIN_NAME"
        stop_node
    elif healthy; then
        die "something else answers on $ES_URL (not our node in $ES_HOME); stop it or set ES_PORT"
    elif running_pid >/dev/null; then
        log "our node runs but is not healthy: restarting it"
        stop_node
    fi
    [[ -x "$ES_JAVA_HOME/bin/java" ]] || die "no Java at ES_JAVA_HOME=$ES_JAVA_HOME (ES $ES_VERSION needs Java 21+)"
    fetch_and_unpack
    plugin_current || build_and_install_plugin
    write_config
    start_node
    printf 'Elasticsearch %s (Lucene %s) is up at %s\n' "$(es_version)" "$(lucene_version)" "$ES_URL"
    check_analysis
}

cmd_down() {
    resolve_layout
    ensure_user
    local i
    for ((i = ES_NODES; i >= 1; i--)); do
        es_node "$i"
        stop_node
    done
}

cmd_status() {
    resolve_layout
    ensure_user
    local pid i rc=0
    for ((i = 1; i <= ES_NODES; i++)); do
        es_node "$i"
        if pid="$(running_pid)"; then
            printf '%srunning: pid %s, home %s, url %s, health %s\n' "$WHO" "$pid" "$ES_HOME" "$ES_URL" "$(cluster_status || echo unreachable)"
        else
            printf '%snot running (home %s)\n' "$WHO" "$ES_HOME"
            rc=3
        fi
    done
    return $rc
}

case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) printf 'usage: %s up|down|status\n' "$0" >&2; exit 2 ;;
esac
