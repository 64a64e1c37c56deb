#!/usr/bin/env bash
# Many viewers: two dashboard processes (127.0.0.1:8701 and :8702) behind nginx on 127.0.0.1:8700,
# with sticky sessions (a "viewer" cookie hashed to one process) and the websocket /_stcore/stream proxied. Both read the same
# ledger; writes (imports, records) go through the CLI or one process, never two writers at once.
#
#   bash scripts/serve_behind_nginx.sh [LEDGER.duckdb]
#
# Without a ledger a temporary demo ledger is made. nginx runs with a config generated in a
# temporary folder (nothing under /etc is changed); `apt-get install nginx` if it is missing.
# Prints "READY" once both processes and the proxy answer /_stcore/health; Ctrl+C (or SIGTERM)
# stops all three. docs/scaling.md ("Many viewers") describes the setup and its measurements.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
PROXY_PORT="${PROXY_PORT:-8700}"
PORTS=(8701 8702)
WORK="$(mktemp -d -t viewers.XXXXXX)"
PIDS=()

stop() {
  trap - EXIT INT TERM
  if [[ -f "$WORK/nginx.pid" ]]; then
    kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  fi
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ ! -x "$NGINX" ]]; then
  echo "nginx not found: apt-get install -y nginx" >&2
  exit 1
fi

LEDGER="${1:-}"
if [[ -z "$LEDGER" ]]; then
  LEDGER="$WORK/demo.duckdb"
  "$PYTHON" -m analytics init --db "$LEDGER" >/dev/null
fi
LEDGER="$(realpath "$LEDGER")"
[[ -f "$LEDGER" ]] || { echo "no ledger at $LEDGER" >&2; exit 1; }

for port in "${PORTS[@]}"; do
  LEDGER_DB="$LEDGER" "$PYTHON" -m streamlit run dashboard.py \
    --server.port "$port" --server.headless true --server.address 127.0.0.1 \
    --browser.gatherUsageStats false >"$WORK/app-$port.log" 2>&1 &
  PIDS+=("$!")
done

mkdir -p "$WORK/tmp"
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    client_max_body_size 200m;

    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }

    # Sticky sessions by cookie: a browser without the "viewer" cookie is placed by its request
    # id (random) and gets the cookie; from then on every request of that browser, the
    # websocket /_stcore/stream included, hashes to the same process, so its session, widget
    # state and uploads stay on one server. (ip_hash would also be sticky, but it sends every
    # viewer behind one address, all of ours on 127.0.0.1 included, to one process.)
    map \$cookie_viewer \$viewer_key {
        ''      \$request_id;
        default \$cookie_viewer;
    }
    log_format upstream '\$viewer_key \$upstream_addr \$status "\$request"';

    upstream dashboard {
        hash \$viewer_key consistent;
        server 127.0.0.1:${PORTS[0]};
        server 127.0.0.1:${PORTS[1]};
    }

    server {
        listen 127.0.0.1:$PROXY_PORT;
        access_log $WORK/nginx-access.log upstream;
        add_header Set-Cookie "viewer=\$viewer_key; Path=/; HttpOnly; SameSite=Lax" always;

        location /_stcore/stream {
            proxy_pass http://dashboard;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_read_timeout 86400s;
            proxy_send_timeout 86400s;
            proxy_buffering off;
        }

        location / {
            proxy_pass http://dashboard;
            proxy_http_version 1.1;
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_read_timeout 300s;
        }
    }
}
CONF
"$NGINX" -t -q -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log"
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log"

healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$1/_stcore/health" >/dev/null 2>&1; }
deadline=$((SECONDS + 90))
for port in "${PORTS[@]}" "$PROXY_PORT"; do
  until healthy "$port"; do
    if ((SECONDS > deadline)); then
      echo "port $port does not answer /_stcore/health; end of its log:" >&2
      tail -20 "$WORK/app-$port.log" 2>/dev/null >&2 || tail -20 "$WORK/nginx-error.log" >&2
      exit 1
    fi
    sleep 0.5
  done
done
echo "Ledger: $LEDGER"
echo "Processes: http://127.0.0.1:${PORTS[0]} http://127.0.0.1:${PORTS[1]}; proxy: http://127.0.0.1:$PROXY_PORT"
echo "Logs: $WORK"
echo "READY"
wait -n "${PIDS[@]}" || true
echo "a dashboard process ended; stopping" >&2
exit 1
