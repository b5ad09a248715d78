#!/bin/bash
# Trims a freshly debootstrapped root file system before `docker import`. Usage: trim-rootfs.sh ROOTFS
set -euo pipefail
root="${1:?usage: trim-rootfs.sh ROOTFS}"
[ -d "$root/usr/lib/postgresql/15/bin" ] || { echo "trim-rootfs: $root does not look like the demo rootfs" >&2; exit 1; }
cd "$root"
# documentation, manuals, translations, package lists and caches
rm -rf usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* usr/share/lintian \
       var/lib/apt/lists/* var/cache/apt/* var/cache/debconf/*-old var/lib/dpkg/*-old var/log/*
# the cluster created by the postgresql-15 package scripts (the image creates its own in PGDATA)
rm -rf var/lib/postgresql/15 etc/postgresql/15
# LLVM JIT support (about 150 MB; only llvmjit.so links LLVM; PostgreSQL runs without JIT)
rm -rf usr/lib/postgresql/15/lib/bitcode usr/lib/postgresql/15/lib/llvmjit.so usr/lib/postgresql/15/lib/llvmjit_types.bc
rm -f usr/lib/x86_64-linux-gnu/libLLVM-14.so* usr/lib/x86_64-linux-gnu/libz3.so*
# machine identity must not be baked in
: > etc/machine-id
rm -f etc/hostname etc/resolv.conf
# apt inside the image is not used; keep it from trying to fetch package lists offline
mkdir -p var/lib/apt/lists/partial
