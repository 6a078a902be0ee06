#!/bin/sh
# Build a local base image for the Containerfile from Debian packages, without any container
# registry: debootstrap a minimal Debian (bookworm: Python 3.11), add a virtualenv whose pip
# comes first on the PATH, and import the folder as an image. Run as root (debootstrap).
#   deploy/container-base.sh [IMAGE] [MIRROR]
#   podman build --build-arg BASE_IMAGE=localhost/fit-base:bookworm -t fit-platform -f Containerfile .
# The host's CA bundle is copied in, so pip trusts the same certificates as the host (an
# internal package mirror or an inspecting proxy). See docs/deploy.md, "In containers".
set -eu
image="${1:-localhost/fit-base:bookworm}"
mirror="${2:-http://deb.debian.org/debian}"
root="$(mktemp -d /var/tmp/fit-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$root" "$mirror"
chroot "$root" python3 -m venv /opt/python
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import \
  --change 'ENV PATH=/opt/python/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["python3"]' \
  - "$image"
echo "Base image: $image"
