#!/usr/bin/env bash
# Builds the guest test programs into roms/bin/. The binaries are committed so the tests run on
# hosts without an x86-64 toolchain; rerun this after changing a source, then re-bless the
# expected outputs (EMU_BLESS=1 cargo test --test roms) on x86-64 Linux.
#
# Needs: gcc (with glibc static libs: libc6-dev), musl-gcc (musl-tools), nasm, binutils, and for
# the foreign-architecture files binutils-aarch64-linux-gnu. No -m32 multilib is needed: the
# i386 file is assembled with nasm and linked with ld -m elf_i386.
#
# Variants of each C program:  NAME.glibc  gcc -static        (ET_EXEC, glibc)
#                              NAME.musl   musl-gcc -static   (ET_EXEC, musl)
#                              NAME.pie    gcc -static-pie    (ET_DYN, self-relocating glibc)
# Static glibc only (signals, processes, threads):  NAME.glibc   gcc -static -pthread
# Dynamic (gcc, host glibc), see "Dynamic programs" below:  libemutest.so libemuplug.so
#   dyn.{lazy,now,nopie,noplt}  libemutestxx.so cxx.dyn  interp-missing  gdbdemo gdbcrash
# Assembly programs (no libc):  asm-NAME
# Files emu must refuse:        foreign/i386-hello, foreign/aarch64-hello
set -euo pipefail
cd "$(dirname "$0")"

C_PROGRAMS="hello auxv exitcode crash fileio floatfmt strtod qsort setjmp intmath strings smc"
ASM_PROGRAMS="hello exit42 ud2"
GLIBC_ONLY_PROGRAMS="signals procs threads escape shm sockets sysvipc pgrp ptys sleepers vsyscall taskmisc"

for tool in gcc g++ musl-gcc nasm ld aarch64-linux-gnu-as aarch64-linux-gnu-ld; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool not found" >&2; exit 1; }
done

mkdir -p bin/foreign
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Paths inside the binaries (debug info of musl's crt files, __FILE__) must not depend on
# where the repo is checked out, so rebuilding elsewhere gives the same bytes.
common=(-O2 -Wall -Wextra -Wno-unused-parameter -fno-strict-aliasing "-ffile-prefix-map=$PWD=roms")

extra_flags() {
    case "$1" in
    strings) echo "-fno-builtin" ;; # every call must reach libc's (SIMD) implementation
    *) ;;
    esac
}

for p in $C_PROGRAMS; do
    # shellcheck disable=SC2046
    gcc "${common[@]}" $(extra_flags "$p") -static -o "bin/$p.glibc" "src/$p.c" -lm
    # shellcheck disable=SC2046
    musl-gcc "${common[@]}" $(extra_flags "$p") -static -o "bin/$p.musl" "src/$p.c" -lm
    # shellcheck disable=SC2046
    gcc "${common[@]}" $(extra_flags "$p") -static-pie -o "bin/$p.pie" "src/$p.c" -lm
done

for p in $GLIBC_ONLY_PROGRAMS; do
    gcc "${common[@]}" -static -pthread -o "bin/$p.glibc" "src/$p.c"
done

# Dynamic programs. They use the host's ld.so and libraries at run time, so they only run where
# those exist (x86-64 Linux); the libraries they link are built here and found through the
# rpath $ORIGIN (roms/bin). Binding: dyn.lazy -z lazy (PIE), dyn.now -z now, dyn.nopie -no-pie,
# dyn.noplt -fno-plt (GOT calls, no PLT stubs).
gcc "${common[@]}" -fPIC -shared -o bin/libemutest.so src/libemutest.c -lm
gcc "${common[@]}" -fPIC -shared -o bin/libemuplug.so src/libemuplug.c -Lbin -lemutest '-Wl,-rpath,$ORIGIN'
for v in lazy now nopie noplt; do
    case $v in
    lazy) flags=(-Wl,-z,lazy) ;;
    now) flags=(-Wl,-z,now) ;;
    nopie) flags=(-no-pie -Wl,-z,lazy) ;;
    noplt) flags=(-fno-plt -Wl,-z,lazy) ;;
    esac
    gcc "${common[@]}" "${flags[@]}" -o "bin/dyn.$v" src/dyn.c -Lbin -lemutest '-Wl,-rpath,$ORIGIN' -lm
done
g++ "${common[@]}" -fPIC -shared -o bin/libemutestxx.so src/libemutestxx.cpp
g++ "${common[@]}" -pthread -Wl,-z,lazy -o bin/cxx.dyn src/cxx.cpp -Lbin -lemutestxx '-Wl,-rpath,$ORIGIN'
# The debuggee of tests/gdb.rs: dynamic, threads, -O0 -g so gdb shows the source's lines.
gcc "${common[@]/-O2/-O0}" -g -pthread -o bin/gdbdemo src/gdbdemo.c
gcc "${common[@]/-O2/-O0}" -g -o bin/gdbcrash src/gdbcrash.c
# A dynamic program whose interpreter exists nowhere (tests/sysroot.rs).
gcc "${common[@]}" -Wl,--dynamic-linker=/nonexistent/ld-emutest.so.2 -o bin/interp-missing src/hello.c

for p in $ASM_PROGRAMS; do
    nasm -f elf64 -o "$tmp/$p.o" "asm/$p.asm"
    ld -static -o "bin/asm-$p" "$tmp/$p.o"
done

nasm -f elf32 -o "$tmp/hello32.o" asm/hello32.asm
ld -m elf_i386 -o bin/foreign/i386-hello "$tmp/hello32.o"
aarch64-linux-gnu-as -o "$tmp/hello-aarch64.o" asm/hello-aarch64.s
aarch64-linux-gnu-ld -o bin/foreign/aarch64-hello "$tmp/hello-aarch64.o"

# Benchmark kernels (tests/bench/run.py): static glibc, plain -O2 (SSE2 for double, x87 for
# long double). bench-spawn launches the measured programs (see its source).
BENCH_PROGRAMS="kernels spawn"
for p in $BENCH_PROGRAMS; do
    gcc "${common[@]}" -static -o "bin/bench-$p" "src/bench_$p.c" -lm
done

# Kernel-helper programs (static glibc, -pthread): robust mutexes, POSIX timers.
KERNEL_PROGRAMS="robust timers"
for p in $KERNEL_PROGRAMS; do
    gcc "${common[@]}" -static -pthread -o "bin/$p.glibc" "src/$p.c"
done

# Record/replay and --deterministic (tests/replay.rs): a static glibc program with threads.
REPLAY_PROGRAMS="nondet replayedge"
for p in $REPLAY_PROGRAMS; do
    gcc "${common[@]}" -static -pthread -o "bin/$p.glibc" "src/$p.c"
done

# tests/strace.rs: the guest whose syscalls --strace, --trace=mmap and --maps show.
STRACE_PROGRAMS="tracee"
for p in $STRACE_PROGRAMS; do
    gcc "${common[@]}" -static -pthread -o "bin/$p.glibc" "src/$p.c"
done

# tests/trace.rs: --watch on kernel-side writes, per-thread --profile stacks.
INSTR_PROGRAMS="instr"
for p in $INSTR_PROGRAMS; do
    gcc "${common[@]}" -static -pthread -o "bin/$p.glibc" "src/$p.c"
done

# tests/roms.rs v3: x86-64-v3 (AVX2, FMA, BMI1/2, F16C, MOVBE, LZCNT) at -O3, so loops are
# auto-vectorised and glibc's libm picks its FMA variants, plus the crypto and system
# extensions the intrinsics need (AES, VAES, PCLMULQDQ, VPCLMULQDQ, SHA, RDRAND, RDSEED, ADX,
# FSGSBASE). Static glibc, -pthread (the YMM state of threads).
V3_FLAGS=(-O3 -march=x86-64-v3 -maes -mvaes -mpclmul -mvpclmulqdq -msha -mrdrnd -mrdseed -madx -mfsgsbase)
gcc "${common[@]}" "${V3_FLAGS[@]}" -static -pthread -o bin/v3.glibc src/v3.c -lm

# tests/roms.rs mapfile: private file mappings (read lazily by emu).
MAPFILE_PROGRAMS="mapfile"
for p in $MAPFILE_PROGRAMS; do
    gcc "${common[@]}" -static -o "bin/$p.glibc" "src/$p.c"
done

# tests/files.rs and tests/eventfds.rs: file metadata, locks, fifos and copies; timerfd,
# signalfd, inotify (static glibc, -pthread).
FILE_PROGRAMS="filemeta eventfds"
for p in $FILE_PROGRAMS; do
    gcc "${common[@]}" -static -pthread -o "bin/$p.glibc" "src/$p.c"
done

# tests/morecalls.rs: resource limits, the vector I/O forms, getdents, fchmodat2,
# epoll_pwait2, vmsplice, restart_syscall (static glibc).
MORE_PROGRAMS="morecalls"
for p in $MORE_PROGRAMS; do
    gcc "${common[@]}" -static -o "bin/$p.glibc" "src/$p.c"
done

echo "built: $(ls bin | wc -l) files in roms/bin, $(du -sh bin | cut -f1)"
