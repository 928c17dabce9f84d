#!/usr/bin/env bash
# Recipe of the minimal image: a static busybox and nothing else (every applet
# a symlink to /bin/busybox, /tmp 1777, root and nobody in /etc/passwd). The
# text of this file is part of the image's cache key: any edit builds anew.
#
#   minimal.sh rootfs DIR   fill DIR (created; must not exist) with the root filesystem
#   minimal.sh changes      print the image config, one `docker import --change` each
# Environment: DEBIAN_RELEASE, DEBIAN_MIRROR, APT_CONF (apt.conf snippet for mmdebstrap).
set -euo pipefail

case "${1:-}" in
  changes)
    echo 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    # A sandbox stays up until stopped (the Docker provider sets its own
    # keep-alive command; the Kubernetes provider runs the image's), and ends
    # at once on SIGTERM: as PID 1 without a handler it would be ignored and
    # the kubelet would wait out the grace period (30 s) for every stop.
    echo 'CMD ["/bin/sh", "-c", "trap exit TERM INT; while :; do sleep 3600 & wait $!; done"]'
    ;;
  rootfs)
    root=$2 extract=$2.extract
    # Only downloads and unpacks busybox-static (no maintainer scripts).
    mmdebstrap --mode=root --variant=extract --include=busybox-static --aptopt="$APT_CONF" \
      "$DEBIAN_RELEASE" "$extract" "$DEBIAN_MIRROR"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev}
    cp "$extract/bin/busybox" "$root/bin/busybox"
    mkdir -p "$root/usr/share/doc/busybox-static"
    cp "$extract/usr/share/doc/busybox-static/copyright" "$root/usr/share/doc/busybox-static/"
    rm -rf "$extract"
    # What `busybox --install -s` does inside the image, done from outside.
    "$root/bin/busybox" --list-full | while read -r applet; do
      [[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
    done
    chmod 1777 "$root/tmp"
    chmod 700 "$root/root"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    ;;
  *) echo "usage: $0 rootfs DIR | changes" >&2; exit 2 ;;
esac
