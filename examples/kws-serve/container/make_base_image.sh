#!/usr/bin/env bash
# A Debian 12 (bookworm) base image made with debootstrap, for machines that reach Debian's
# package mirror but no image registry:
#
#   examples/kws-serve/container/make_base_image.sh [IMAGE]   (default localhost/kws-debian:bookworm)
#
# then build with --build-arg BASE_IMAGE=IMAGE. The root file system is debootstrap's minbase,
# slimmed the way Debian's own -slim images are (no manuals, docs except copyrights, translations;
# apt's caches emptied after every install), with bookworm, bookworm-updates and
# bookworm-security as apt sources. Needs root, debootstrap and podman.
#   KWS_DEBIAN_MIRROR           default http://deb.debian.org/debian
#   KWS_DEBIAN_SECURITY_MIRROR  default http://deb.debian.org/debian-security
# Exit status 77 (skip) when debootstrap is missing or the mirror cannot be reached; 1 on any
# other failure.
set -euo pipefail

image=${1:-localhost/kws-debian:bookworm}
mirror=${KWS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${KWS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

if ! command -v debootstrap >/dev/null; then
  echo "SKIP: debootstrap not found (Debian: debootstrap)" >&2
  exit 77
fi
# debootstrap's own failure when offline is a page of wget errors; ask once, plainly.
if ! curl -fsS -o /dev/null --max-time 30 "$mirror/dists/bookworm/Release"; then
  echo "SKIP: cannot reach $mirror (debootstrap needs Debian's package mirror)" >&2
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kws-debootstrap.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
echo "make_base_image: debootstrap --variant=minbase bookworm ($mirror)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  echo "make_base_image: debootstrap failed (log above)" >&2
  exit 1
}

# What Debian's -slim images leave out, for this tree and for every package installed later.
cat >"$root/etc/dpkg/dpkg.cfg.d/kws-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/{man,info,groff,lintian}/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
cat >"$root/etc/apt/apt.conf.d/kws-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# Nothing of this machine or of the bootstrap in the image: podman supplies resolv.conf and the
# host name at run time.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/* "$root"/tmp/* \
       "$root/etc/resolv.conf" "$root/etc/hostname"

echo "make_base_image: podman import -> $image"
tar --numeric-owner -C "$root" -c . | podman import --change 'CMD ["bash"]' - "$image" >/dev/null
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$image"
