#!/usr/bin/env bash
# Installs or upgrades Tamaru on a counter PC from the store build this script sits in.
#
#   tar xzf tamaru-0.2.0-linux-x86_64.tar.gz
#   sudo tamaru-0.2.0-linux-x86_64/install.sh [--prefix /opt/tamaru] [--bin /usr/local/bin]
#   sudo /opt/tamaru/current/install.sh --rollback     back to the previous release
#
# Each release gets its own folder (<prefix>/releases/<version>); <prefix>/current points
# at the one in use and /usr/local/bin/tamaru at current/tamaru. The new release's
# self-test must pass before current is switched, so a broken download never replaces a
# working install. A running register keeps running the release it started with: the
# switch takes effect when Tamaru is next started. Data (<home>, e.g.
# ~/.local/share/tamaru) is never touched here; the new build upgrades the register
# database itself when it opens it, in one transaction.
#
# --rollback is safe only before the new release has opened the register database: a
# database upgraded to a newer schema is refused by the older build (see
# docs/operations.md, "Upgrading").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prefix=/opt/tamaru
bin=/usr/local/bin  # where the `tamaru` command is linked; --bin "" links nothing
rollback=0
keep=3
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --rollback) rollback=1; shift ;;
    *) echo "install: unknown option $1" >&2; exit 2 ;;
  esac
done

switch_to() {  # atomically point <prefix>/current at releases/$1
  ln -sfn "releases/$1" "$prefix/current.new"
  mv -Tf "$prefix/current.new" "$prefix/current"
}

if [ "$rollback" = 1 ]; then
  [ -L "$prefix/previous" ] || { echo "install: no previous release to roll back to" >&2; exit 1; }
  prev=$(basename "$(readlink "$prefix/previous")")
  cur=$(basename "$(readlink "$prefix/current")")
  switch_to "$prev"
  ln -sfn "releases/$cur" "$prefix/previous"
  echo "install: now using $prev (was $cur); restart Tamaru to use it"
  exit 0
fi

version=$(cat "$here/VERSION")
dest="$prefix/releases/$version"
mkdir -p "$prefix/releases"
if [ "$here" != "$dest" ]; then
  rm -rf "$dest.new"
  cp -a "$here" "$dest.new"
  rm -rf "$dest"
  mv "$dest.new" "$dest"
fi

echo "install: checking $version"
if ! "$dest/tamaru" --self-test; then
  echo "install: the self-test of $version failed; the release in use is unchanged" >&2
  exit 1
fi

if [ -L "$prefix/current" ]; then
  cur=$(basename "$(readlink "$prefix/current")")
  [ "$cur" != "$version" ] && ln -sfn "releases/$cur" "$prefix/previous"
fi
switch_to "$version"
if [ -n "$bin" ]; then ln -sfn "$prefix/current/tamaru" "$bin/tamaru"; fi

# Keep the newest releases, and always the current and previous ones.
cur_name=$(basename "$(readlink "$prefix/current")")
prev_name=""
[ -L "$prefix/previous" ] && prev_name=$(basename "$(readlink "$prefix/previous")")
ls -1dt "$prefix"/releases/*/ 2>/dev/null | tail -n +$((keep + 1)) | while read -r old; do
  name=$(basename "$old")
  if [ "$name" = "$cur_name" ] || [ "$name" = "$prev_name" ]; then continue; fi
  rm -rf "$old"
done
echo "install: $version installed in $prefix; restart Tamaru on this PC to use it"
