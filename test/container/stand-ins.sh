#!/usr/bin/env bash
# Builds local stand-ins for the base images that Dockerfile.worker starts from, because no image
# registry is reachable here: a Debian bookworm root filesystem, a Prefect image laid out like the
# official one, and a Node image with node and npm where the official node image has them.
# Each image is built once and reused until its recipe (the files of this folder) changes.
# Progress goes to stderr; stdout gets the build arguments for Dockerfile.worker, one KEY=VALUE
# a line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
podman=(podman --runtime /usr/sbin/runc --cgroup-manager=cgroupfs)
say() { printf '[stand-ins] %s\n' "$*" >&2; }

# The versions follow Dockerfile.worker's defaults, so the stand-ins cannot drift from the product.
default_of() { sed -n "s/^ARG $1=//p" "$root/Dockerfile.worker" | head -n 1; }
prefect_tag=$(default_of PREFECT_IMAGE); prefect_tag=${prefect_tag##*:}  # 3.9.1-python3.11
node_tag=$(default_of NODE_IMAGE); node_tag=${node_tag##*:}              # 24.x.y-bookworm-slim
prefect_version=${prefect_tag%%-python*}
node_version=${node_tag%%-*}
# The official image installs uv at /bin/uv; npm is not in the node binary package.
uv_version=0.12.5
npm_version=11.21.2

# Extra certificate authorities the host trusts (a TLS-inspecting proxy's, for instance) are
# trusted inside the stand-ins too, or pip and npm could not reach their registries from a build.
extra_cas=(/usr/local/share/ca-certificates/*.crt)
[ -e "${extra_cas[0]}" ] || extra_cas=()

# A change to an image's recipe gives it a new fingerprint, and only then is it rebuilt. Bump
# debian_revision after changing how the Debian image is made below.
debian_revision=1
debian_packages=ca-certificates,git,python3,python3-venv,python3-pip,tini
fingerprint() { cat "$@" | sha256sum | cut -c1-12; }
debian_recipe=$(echo "$debian_revision $debian_packages" | fingerprint - "${extra_cas[@]}")
prefect_recipe=$(echo "$debian_recipe" \
  | fingerprint - "$here/prefect.Dockerfile" "$root/requirements/constraints.txt")
node_recipe=$(echo "$debian_recipe" | fingerprint - "$here/node.Dockerfile")
debian_image=localhost/standin-debian:bookworm
prefect_image=localhost/standin-prefect:$prefect_tag
node_image=localhost/standin-node:$node_tag

current() { # image, fingerprint
  [ "$("${podman[@]}" image inspect --format '{{ index .Labels "standin.recipe" }}' "$1" \
    2>/dev/null)" = "$2" ]
}

case "$(uname -m)" in
  x86_64) node_arch=x64 ;;
  aarch64) node_arch=arm64 ;;
  *) say "no node binary package for $(uname -m)"; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if current "$debian_image" "$debian_recipe"; then
  say "$debian_image is current"
else
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
  mirror=${mirror:-http://deb.debian.org/debian}
  say "debootstrap bookworm from $mirror"
  debootstrap --variant=minbase --include="$debian_packages" bookworm "$work/rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/cache/apt/"*.bin
  changes=(--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    --change 'CMD ["bash"]' --change "LABEL standin.recipe=$debian_recipe")
  if [ ${#extra_cas[@]} -gt 0 ]; then
    say "trusting the host's extra certificate authorities: ${extra_cas[*]}"
    cp "${extra_cas[@]}" "$work/rootfs/usr/local/share/ca-certificates/"
    chroot "$work/rootfs" update-ca-certificates >/dev/null 2>&1
    # node, pip and uv each bring their own CA list unless told to use the system's bundle.
    bundle=/etc/ssl/certs/ca-certificates.crt
    changes+=(--change "ENV SSL_CERT_FILE=$bundle" --change "ENV PIP_CERT=$bundle"
      --change "ENV REQUESTS_CA_BUNDLE=$bundle" --change "ENV NODE_EXTRA_CA_CERTS=$bundle")
  fi
  tar -C "$work/rootfs" -c . \
    | "${podman[@]}" import --quiet "${changes[@]}" - "$debian_image" >/dev/null
  rm -rf "$work/rootfs"
fi

build() { # image, fingerprint, recipe file, context folder, extra build arguments...
  local image=$1 recipe=$2 file=$3 context=$4
  shift 4
  "${podman[@]}" build --isolation chroot --network host --format docker --quiet \
    --build-arg "DEBIAN_IMAGE=$debian_image" --label "standin.recipe=$recipe" "$@" \
    -t "$image" -f "$here/$file" "$context" >/dev/null
}

if current "$prefect_image" "$prefect_recipe"; then
  say "$prefect_image is current"
else
  say "building $prefect_image (prefect==$prefect_version from PyPI)"
  mkdir -p "$work/prefect"
  cp "$root/requirements/constraints.txt" "$work/prefect/"
  build "$prefect_image" "$prefect_recipe" prefect.Dockerfile "$work/prefect" \
    --build-arg "PREFECT_VERSION=$prefect_version" --build-arg "UV_VERSION=$uv_version"
fi

if current "$node_image" "$node_recipe"; then
  say "$node_image is current"
else
  say "building $node_image (node-linux-$node_arch@$node_version, npm@$npm_version from npm)"
  mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent "node-linux-$node_arch@$node_version" \
    "npm@$npm_version" >/dev/null)
  mv "$work/node/node-linux-$node_arch-$node_version.tgz" "$work/node/node.tgz"
  mv "$work/node/npm-$npm_version.tgz" "$work/node/npm.tgz"
  build "$node_image" "$node_recipe" node.Dockerfile "$work/node"
fi

echo "PREFECT_IMAGE=$prefect_image"
echo "NODE_IMAGE=$node_image"
