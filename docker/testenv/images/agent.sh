#!/usr/bin/env bash
# Recipe of the agent image, shaped like AgentPane's agent image: Debian
# (mmdebstrap, variant minbase, merged /usr) with bash, coreutils, tar, tmux,
# procps, git and Node.js (Debian's nodejs), a `node` user and group (UID/GID 1000,
# home /home/node), /tmp 1777; it runs a keep-alive shell as node in /home/node by default. The
# text of this file is part of the image's cache key: any edit builds anew.
#
#   agent.sh rootfs DIR   fill DIR (created; must not exist) with the root filesystem
#   agent.sh changes      print the image config, one `docker import --change` each
# Environment: DEBIAN_RELEASE, DEBIAN_MIRROR, APT_CONF (apt.conf snippet for mmdebstrap).
set -euo pipefail

case "${1:-}" in
  changes)
    echo 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    echo 'ENV HOME=/home/node'
    echo 'USER node'
    echo 'WORKDIR /home/node'
    # A sandbox stays up until stopped (the Docker provider sets its own
    # keep-alive command; the Kubernetes provider runs the image's), and ends
    # at once on SIGTERM: as PID 1 without a handler it would be ignored and
    # the kubelet would wait out the grace period (30 s) for every stop.
    echo 'CMD ["/bin/sh", "-c", "trap exit TERM INT; while :; do sleep 3600 & wait $!; done"]'
    ;;
  rootfs)
    root=$2
    # No manuals, docs (but copyrights), locales or info pages: a test image.
    mmdebstrap --mode=root --variant=minbase --include=bash,coreutils,tar,tmux,procps,git,nodejs \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr --aptopt="$APT_CONF" \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      "$DEBIAN_RELEASE" "$root" "$DEBIAN_MIRROR"
    chroot "$root" groupadd --gid 1000 node
    chroot "$root" useradd --uid 1000 --gid 1000 --create-home --home-dir /home/node --shell /bin/bash node
    chmod 1777 "$root/tmp"
    # The build host's name and resolver: docker provides its own at run time.
    rm -f "$root/etc/hostname" "$root/etc/resolv.conf"
    ;;
  *) echo "usage: $0 rootfs DIR | changes" >&2; exit 2 ;;
esac
