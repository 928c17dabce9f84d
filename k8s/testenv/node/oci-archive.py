#!/usr/bin/env python3
"""Write an OCI image archive (for `ctr images import`) from a root filesystem
tarball and Dockerfile-style config lines, without a registry or a builder.

    oci-archive.py --rootfs ROOTFS.tar[.gz] --ref REF --out OUT.tar [--config-lines FILE]

The layer is the tarball as given (gzip or plain, by its magic bytes); the
config lines are those of docker/testenv's recipes (`ENV K=V`, `USER u`,
`WORKDIR d`, `CMD [json]`, `ENTRYPOINT [json]`).
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import sys
import tarfile

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def sha256_of(path, decompress=False):
    h = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def image_config(lines):
    config = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        key, _, value = line.partition(" ")
        if key == "ENV":
            config.setdefault("Env", []).append(value)
        elif key == "USER":
            config["User"] = value
        elif key == "WORKDIR":
            config["WorkingDir"] = value
        elif key in ("CMD", "ENTRYPOINT"):
            argv = json.loads(value)
            if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv)):
                raise SystemExit(f"oci-archive: {key} must be a JSON list of strings")
            config["Cmd" if key == "CMD" else "Entrypoint"] = argv
        else:
            raise SystemExit(f"oci-archive: unsupported config line {key!r}")
    return config


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootfs", required=True)
    ap.add_argument("--ref", required=True, help="full reference, e.g. docker.io/library/name:tag")
    ap.add_argument("--out", required=True)
    ap.add_argument("--config-lines", help="file of config lines; - for standard input")
    args = ap.parse_args()

    lines = []
    if args.config_lines == "-":
        lines = sys.stdin.read().splitlines()
    elif args.config_lines:
        with open(args.config_lines) as f:
            lines = f.read().splitlines()

    with open(args.rootfs, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    layer_digest = sha256_of(args.rootfs)
    diff_id = sha256_of(args.rootfs, decompress=True) if gzipped else layer_digest
    layer_size = os.path.getsize(args.rootfs)

    arch = ARCH.get(platform.machine(), platform.machine())
    config = json.dumps({
        "architecture": arch,
        "os": "linux",
        "config": image_config(lines),
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
        "history": [{"created_by": "agent-sandbox-sdk k8s/testenv/node/oci-archive.py"}],
    }, sort_keys=True).encode()
    config_digest = hashlib.sha256(config).hexdigest()

    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{config_digest}", "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gzipped else ""),
                    "digest": f"sha256:{layer_digest}", "size": layer_size}],
    }, sort_keys=True).encode()
    manifest_digest = hashlib.sha256(manifest).hexdigest()

    index = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": f"sha256:{manifest_digest}", "size": len(manifest),
            "platform": {"architecture": arch, "os": "linux"},
            "annotations": {"io.containerd.image.name": args.ref,
                            "org.opencontainers.image.ref.name": args.ref.rsplit(":", 1)[-1]},
        }],
    }, sort_keys=True).encode()

    def add_bytes(tar, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(args.out, "w") as tar:
        add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add_bytes(tar, "index.json", index)
        add_bytes(tar, f"blobs/sha256/{manifest_digest}", manifest)
        add_bytes(tar, f"blobs/sha256/{config_digest}", config)
        with open(args.rootfs, "rb") as layer:
            info = tarfile.TarInfo(f"blobs/sha256/{layer_digest}")
            info.size = layer_size
            info.mode = 0o644
            tar.addfile(info, layer)


if __name__ == "__main__":
    main()
