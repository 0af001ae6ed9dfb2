#!/bin/sh
# Install what the class's hub runs into HUB_HOME (default /opt/kubelab-hub), readable by every user:
#   venv/          JupyterHub, and kubelab with JupyterLab and nbgrader (a copy, not an editable
#                  install: students cannot read a checkout under /root)
#   node_modules/  configurable-http-proxy, JupyterHub's default proxy (npm)
# The venv is made from /usr/bin/python3: a venv made from a Python under /root (pyenv) is
# unreadable to other users ("bad interpreter: Permission denied").
set -eu
home=${1:-/opt/kubelab-hub}
repo=$(cd "$(dirname "$0")/../.." && pwd)
python=${HUB_PYTHON:-/usr/bin/python3}
mkdir -p "$home"
chmod 755 "$home"
test -x "$home/venv/bin/python" || "$python" -m venv "$home/venv"
# Build from a copy: pip writes build/ and *.egg-info into the folder it builds.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$repo" --exclude=./.venv --exclude=./.git --exclude=./build -cf - . | tar -C "$tmp" -xf -
"$home/venv/bin/pip" install --quiet --disable-pip-version-check "$tmp[hub,desktop]" 2>&1 | grep -v "is ignored: it is neither" || true
# The same version number again after a change: reinstall kubelab itself whatever pip thinks.
"$home/venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$tmp" 2>&1 \
    | grep -v "is ignored: it is neither" || true
test -x "$home/venv/bin/jupyterhub"
test -x "$home/node_modules/.bin/configurable-http-proxy" \
    || npm install --silent --no-audit --no-fund --prefix "$home" configurable-http-proxy@5.3.0
# As `make venv` does for the laptop: no "news" prompt, widget snapshots in HTML exports.
settings="$home/venv/share/jupyter/lab/settings"
mkdir -p "$settings"
printf '%s\n' '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
    > "$settings/overrides.json"
"$home/venv/bin/python" -m kubelab.viz.export_config "$home/venv"
chmod -R a+rX "$home"
touch "$home/.installed"
