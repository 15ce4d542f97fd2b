#!/usr/bin/env bash
# Makes sure the services that DLM's tests talk to are there, and starts the ones that are down.
#
#   bash scripts/services.sh                  # all: postgres mariadb redis etcd faketime openssl
#   bash scripts/services.sh postgres redis   # only these
#
# Idempotent: a service that already answers is left alone, and none is ever started twice.
# PostgreSQL, MariaDB and Redis run on their standard ports on 127.0.0.1. etcd is only installed
# (Debian's etcd-server), never started: the etcd tests start their own servers on free ports.
# faketime (Debian's faketime and libfaketime) is only installed: fault tests run engine processes
# under it with a shifted wall clock. openssl is only installed: TLS tests make their certificates
# with it.
# Prints one line per service; exits non-zero, naming the service, when one cannot be had.
set -euo pipefail

readonly ALL_SERVICES=(postgres mariadb redis etcd faketime openssl)
# How long a service that was just started (or was already starting) may take to answer.
readonly WAIT_SECONDS="${DLM_SERVICES_WAIT_SECONDS:-30}"

say() {
    printf '%-9s %s\n' "$1" "$2"
}

fail() {
    printf '%-9s FAILED: %s\n' "$1" "$2" >&2
    exit 1
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

postgres_up() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h 127.0.0.1 -p 5432 -t 2
    else
        port_open 5432
    fi
}

mariadb_up() {
    # "ping" succeeds whenever the server answers, even if it then refuses the login.
    if command -v mariadb-admin >/dev/null; then
        mariadb-admin --protocol=tcp -h 127.0.0.1 -P 3306 --connect-timeout=2 ping >/dev/null 2>&1
    else
        port_open 3306
    fi
}

redis_up() {
    if command -v redis-cli >/dev/null; then
        [[ "$(timeout 3 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]
    else
        port_open 6379
    fi
}

# wait_up NAME CHECK ENDPOINT STATUS: polls CHECK once a second until it passes or WAIT_SECONDS
# pass; STATUS is the exit status of the start command, for the message.
wait_up() {
    local name=$1 check=$2 endpoint=$3 status=$4 deadline=$((SECONDS + WAIT_SECONDS))
    until "$check"; do
        if ((SECONDS >= deadline)); then
            fail "$name" "nothing answers on $endpoint ${WAIT_SECONDS} s after the start command (which exited $status)"
        fi
        sleep 1
    done
}

# ensure NAME CHECK ENDPOINT START...: leaves a running service alone, else runs START and waits.
ensure() {
    local name=$1 check=$2 endpoint=$3
    shift 3
    if "$check"; then
        say "$name" "up on $endpoint"
        return
    fi
    local started=$SECONDS status=0
    # A failed start command is not final: the service may have been starting already, and then
    # the command refuses to start a second copy. Whether it answers in time decides.
    "$@" || status=$?
    wait_up "$name" "$check" "$endpoint" "$status"
    say "$name" "started, up on $endpoint after $((SECONDS - started)) s"
}

start_postgres() {
    command -v pg_ctlcluster >/dev/null || fail postgres "not installed (no pg_ctlcluster)"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    [[ -n "$version" ]] || fail postgres "no cluster under /etc/postgresql"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2
}

start_mariadb() {
    [[ -x /usr/sbin/mariadbd ]] || fail mariadb "not installed (no /usr/sbin/mariadbd)"
    # --oknodo: a mariadbd that is already running is left as it is.
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >&2
}

start_redis() {
    command -v redis-server >/dev/null || fail redis "not installed (no redis-server)"
    if pgrep -x redis-server >/dev/null; then
        return 0 # already starting: wait for it rather than start a second one
    fi
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2
}

service_postgres() { ensure postgres postgres_up 127.0.0.1:5432 start_postgres; }
service_mariadb() { ensure mariadb mariadb_up 127.0.0.1:3306 start_mariadb; }
service_redis() { ensure redis redis_up 127.0.0.1:6379 start_redis; }

# install_packages NAME PACKAGE...: installs Debian packages as root, failing with apt-get's output.
install_packages() {
    local name=$1
    shift
    if ((EUID != 0)); then
        fail "$name" "not installed, and installing Debian's $* needs root: run 'apt-get update && apt-get install -y $*' as root"
    fi
    local log
    log=$(mktemp)
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        fail "$name" "could not install Debian's $* (apt-get output above)"
    fi
    rm -f "$log"
}

service_etcd() {
    if ! command -v etcd >/dev/null; then
        install_packages etcd etcd-server
        command -v etcd >/dev/null || fail etcd "etcd-server installed, but no etcd on PATH"
    fi
    local version
    version=$(etcd --version 2>/dev/null | sed -n 's/^etcd Version: *//p')
    say etcd "installed: $(command -v etcd) ${version:-(version unknown)}; not started (tests start their own)"
}

# libfaketime runs an engine process with a shifted or stepping wall clock (SPEC N5, N6).
service_faketime() {
    if ! command -v faketime >/dev/null || ! ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; then
        install_packages faketime faketime libfaketime
    fi
    local lib
    lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
    [[ -n "$lib" ]] || fail faketime "libfaketime installed, but no libfaketime.so.1 under /usr/lib"
    say faketime "installed: $(command -v faketime), $lib"
}

# The TLS tests of etcd and ZooKeeper generate a certificate authority and certificates per run.
service_openssl() {
    command -v openssl >/dev/null || install_packages openssl openssl
    say openssl "installed: $(command -v openssl) $(openssl version 2>/dev/null | cut -d' ' -f2)"
}

main() {
    local services=("$@")
    ((${#services[@]} > 0)) || services=("${ALL_SERVICES[@]}")
    local name
    for name in "${services[@]}"; do
        if ! declare -F "service_$name" >/dev/null; then
            echo "services.sh: unknown service '$name' (known: ${ALL_SERVICES[*]})" >&2
            exit 2
        fi
    done
    for name in "${services[@]}"; do
        "service_$name"
    done
}

main "$@"
