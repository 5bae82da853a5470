#!/usr/bin/env bash
# Packs the store build (dist/tamaru/) into the one file every counter PC installs:
#   dist/tamaru-<version>-linux-<arch>.tar.gz and its .sha256
# Run by `make dist` after the build and its self-test have passed.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ -x dist/tamaru/tamaru ] || { echo "package: dist/tamaru/tamaru missing (run make dist)" >&2; exit 1; }
version=$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
name="tamaru-${version}-linux-$(uname -m)"
# The folder inside the archive carries the version, so releases unpack side by side.
rm -rf "dist/${name}"
cp -al dist/tamaru "dist/${name}"
printf '%s\n' "$version" > "dist/${name}/VERSION"
cp scripts/dist/install.sh "dist/${name}/install.sh"
tar -C dist -czf "dist/${name}.tar.gz" "${name}"
rm -rf "dist/${name}"
(cd dist && sha256sum "${name}.tar.gz" > "${name}.tar.gz.sha256")
echo "dist/${name}.tar.gz ($(du -h "dist/${name}.tar.gz" | cut -f1))"
