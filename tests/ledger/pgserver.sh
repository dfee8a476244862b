# pgserver.sh - a throwaway PostgreSQL server for tests and benchmarks (sourced, not run).
#   pg_find                       sets pg_bindir (newest /usr/lib/postgresql/*/bin); 1 when absent
#   pg_start DIR [durable]        initdb into DIR/data and start on 127.0.0.1, a free port, socket
#                                 in DIR, scram-sha-256 password auth; "durable" keeps fsync on
#                                 (benchmarks), else fsync is off (tests). Sets pg_port, pg_password,
#                                 pg_url (postgresql://bulwark:PASSWORD@127.0.0.1:PORT/postgres...),
#                                 pg_log; 1 on failure (the reason in DIR/initdb.log or pg_log)
#   pg_stop                       stop it (call from an EXIT trap)
# As root the server runs as the postgres user (or nobody): initdb refuses to run as root, so DIR
# must be reachable by that user (under /tmp, /dev/shm or /var/tmp).
pg_bindir=
pg_dir=
pg_started=0
pg_as=()
pg_owner=

pg_find() {
    local d
    pg_bindir=
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && pg_bindir=$d
    done
    [ -n "$pg_bindir" ]
}

pg_start() {
    local dir=$1 durable=${2:-} hex p opts
    pg_dir=$dir
    pg_log=$dir/server.log
    pg_as=()
    pg_owner=
    if [ "$(id -u)" -eq 0 ]; then
        pg_owner=postgres
        id -u postgres >/dev/null 2>&1 || pg_owner=nobody
        pg_as=(runuser -u "$pg_owner" --)
    fi
    mkdir -p "$dir/data" || return 1
    if [ -n "$pg_owner" ]; then
        chown "$pg_owner" "$dir" "$dir/data"
        chmod o+x "$(dirname "$dir")" # the server's user passes through the parent (mktemp's 0700)
    fi
    # a password with characters a URL must percent-encode
    hex=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    pg_password="Pw:${hex}/x"
    printf '%s\n' "$pg_password" >"$dir/pw"
    [ -n "$pg_owner" ] && chown "$pg_owner" "$dir/pw"
    "${pg_as[@]}" "$pg_bindir/initdb" -D "$dir/data" -U bulwark --pwfile="$dir/pw" --auth=scram-sha-256 \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1
    local rc=$?
    rm -f "$dir/pw"
    [ $rc -eq 0 ] || return 1
    opts="-c listen_addresses=127.0.0.1 -k $dir"
    [ "$durable" = durable ] || opts="$opts -c fsync=off -c full_page_writes=off"
    pg_port=
    for _ in 1 2 3 4 5 6 7 8; do
        p=$((20000 + RANDOM % 40000))
        if "${pg_as[@]}" "$pg_bindir/pg_ctl" -D "$dir/data" -l "$pg_log" -w -t 60 -o "$opts -p $p" start \
            >/dev/null 2>&1; then
            pg_port=$p
            pg_started=1
            break
        fi
    done
    [ -n "$pg_port" ] || return 1
    pg_url="postgresql://bulwark:Pw%3A${hex}%2Fx@127.0.0.1:${pg_port}/postgres?gssencmode=disable"
    pg_password_url="Pw%3A${hex}%2Fx"
}

pg_stop() {
    if [ "$pg_started" -eq 1 ]; then
        "${pg_as[@]}" "$pg_bindir/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1
        pg_started=0
    fi
}

# pg_schema NAME: a fresh, empty schema NAME; prints the URL of a ledger in it
pg_schema() {
    "$pg_bindir/psql" -qX "$pg_url" -c "DROP SCHEMA IF EXISTS $1 CASCADE" -c "CREATE SCHEMA $1" >/dev/null 2>&1 &&
        echo "${pg_url}&options=-csearch_path%3D$1"
}
